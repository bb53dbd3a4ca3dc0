/*
 * kastro-test.yar - Kastro's own starter rule for kastro-agent: the EICAR
 * anti-virus test file, so that an officer can check end to end (agent,
 * spool, console, alert) with a harmless file. A municipality adds its
 * rule sets beside it (e.g. a copy of signature-base) or pushes them
 * from the console with `kastroctl rules push DIR`.
 */
rule Kastro_EICAR_Test_File : test
{
	meta:
		description = "EICAR anti-virus test file (harmless; used to test the chain)"
		author = "Kastro"
		score = 40
	strings:
		$eicar = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
	condition:
		$eicar in (0..128) and filesize < 256
}
