# gen-man-options.awk - put each command's option list, as `tunnelctl --man-options` renders
# it from the command's option table (src/opt.c), into man/tunnelctl.8 between the page's
# `.\" options VERB` and `.\" end options` lines; everything else of the page stays as written.
# `make man` runs it; tests/pkg/test_man.sh fails when the committed page is out of date.
# Usage: tunnelctl --man-options | awk -f scripts/gen-man-options.awk - man/tunnelctl.8

# the first input: the lists, each between its two marker lines
FNR == NR {
	if ($0 ~ /^\.\\" options /) {
		verb = $3
		lists[verb] = ""
	} else if ($0 ~ /^\.\\" end options$/) {
		verb = ""
	} else if (verb != "") {
		lists[verb] = lists[verb] $0 "\n"
	}
	next
}

# the page: a marker line, then the list instead of what stood there
/^\.\\" options / {
	if (!($3 in lists)) {
		printf "gen-man-options.awk: %s:%d: no options for '%s'\n", FILENAME, FNR, $3 >"/dev/stderr"
		bad = 1
	}
	print
	printf "%s", lists[$3]
	used[$3] = 1
	skip = 1
	next
}
/^\.\\" end options$/ { skip = 0 }
!skip { print }

END {
	for (v in lists)
		if (!(v in used)) {
			printf "gen-man-options.awk: the page has no `.\\\" options %s` list\n", v >"/dev/stderr"
			bad = 1
		}
	exit bad
}
