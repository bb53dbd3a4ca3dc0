# svc_lib.sh - what the continuity tests ask of the console's database about
# its checks. Sourced after tests/console/console_lib.sh (which sets $data
# and db()).

# q SQL: one query, errors unsaid (a table not made yet reads as nothing)
q() { db "$1" 2>/dev/null; }

# wait_state SERVICE KEY-LIKE WANT SECONDS: until the check's state and
# hard flag read WANT (e.g. OK/1); on a timeout, what it was and its output
wait_state() {
	local got=""
	for _i in $(seq 1 $(($4 * 2))); do
		got=$(q "SELECT state || '/' || hard FROM svc_checks WHERE service = '$1' AND key LIKE '$2'")
		[ "$got" = "$3" ] && return 0
		sleep 0.5
	done
	echo "  $1 $2: got '$got', wanted '$3' ($(q "SELECT output FROM svc_checks WHERE service = '$1' AND key LIKE '$2'"))" >&2
	return 1
}

# output_has SERVICE KEY-LIKE TEXT: the check's last output holds TEXT
output_has() {
	local out
	out=$(q "SELECT output FROM svc_checks WHERE service = '$1' AND key LIKE '$2'")
	case "$out" in *"$3"*) return 0 ;; esac
	echo "  $1 $2: output '$out'" >&2
	return 1
}
