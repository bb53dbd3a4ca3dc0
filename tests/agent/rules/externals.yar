/*
 * externals.yar - rules on the five external variables kastro-agent sets
 * per file (agent/scan.h), for tests/agent/test_yara_agree.sh: each must
 * give the same files in kastro-agent as in the yara command given the
 * same values per file.
 */
rule ext_filetype_elf { condition: filetype == "ELF" }
rule ext_filetype_exe { condition: filetype == "EXE" }
rule ext_filetype_script { condition: filetype == "SCRIPT" and filesize < 100000 }
rule ext_filetype_gzip { condition: filetype == "GZIP" and extension == ".gz" }
rule ext_filetype_image { condition: filetype == "PNG" or filetype == "GIF" or filetype == "JPEG" }
rule ext_filetype_unknown_txt { condition: filetype == "" and extension == ".txt" }
rule ext_extension_none { condition: extension == "" and filetype == "" and filesize < 2000 }
rule ext_extension_upper { condition: filename matches /\.[A-Z]+$/ and extension matches /^\.[a-z]+$/ }
rule ext_filename_dotfile { condition: filename matches /^\./ }
rule ext_filepath_share_doc { condition: filepath contains "/usr/share/doc/" and filename == "copyright" }
rule ext_filepath_ends_with_filename { condition: filepath endswith filename and not (filepath == filename) }
rule ext_owner_nobody { condition: owner == "nobody" }
rule ext_owner_root_pdf { condition: owner == "root" and filetype == "PDF" }
