# gen-man-conf.awk - docs/tunnel-file.md -> man/tunnelctl.conf.5 (mdoc).
# The tunnel file has one reference, docs/tunnel-file.md; its man page is generated from it
# (`make man`), and tests/pkg/test_man.sh fails when the committed page is out of date.
# Markdown handled: # and ## headings, paragraphs, "- " lists, ``` blocks, `code`, | tables |.
# Usage: awk -v date="Month D, YYYY" -f scripts/gen-man-conf.awk docs/tunnel-file.md

# characters outside ASCII by their roff names
function named(s) {
	gsub(/≥/, "\\(>=", s); gsub(/≤/, "\\(<=", s); gsub(/×/, "\\(mu", s)
	gsub(/–/, "\\(en", s); gsub(/—/, "\\(em", s); gsub(/§/, "\\(sc", s)
	gsub(/→/, "\\(->", s)
	return s
}

# roff-safe text: backslashes, named characters, `code` in bold
function inline(s,    out, i, n, parts) {
	gsub(/\\/, "\\e", s)
	s = named(s)
	n = split(s, parts, "`")
	out = parts[1]
	for (i = 2; i <= n; i++)
		out = out ((i % 2) ? "\\fP" : "\\fB") parts[i]
	if (n % 2 == 0)
		out = out "\\fP"
	return out
}

# a line as is, but a leading . or ' escaped (it would be read as a request)
function emit(line) {
	if (line == "")
		return
	if (line ~ /^[.']/)
		line = "\\&" line
	print line
}

# output text: one sentence per line, lines folded at spaces to at most 80 bytes
function text(s,    n, i, lines, w, words, nw, out) {
	s = inline(s)
	sub(/^[ \t]+/, "", s)
	gsub(/\. /, ".\n", s)
	n = split(s, lines, "\n")
	for (i = 1; i <= n; i++) {
		nw = split(lines[i], words, " ")
		out = ""
		for (w = 1; w <= nw; w++) {
			if (out != "" && length(out) + 1 + length(words[w]) > 80) {
				emit(out)
				out = words[w]
			} else
				out = out == "" ? words[w] : out " " words[w]
		}
		emit(out)
	}
}

function end_blocks() {
	if (inlist) { print ".El"; inlist = 0 }
	if (intable) { print ".El"; intable = 0 }
	para = 0
}

function cell(s) {
	sub(/^ +/, "", s); sub(/ +$/, "", s)
	return s
}

function files() {
	if (files_done) return
	files_done = 1
	print ".Sh FILES"
	print ".Bl -tag -width Ds"
	print ".It Pa /etc/tunnelctl/tunnels.conf"
	print "the tunnel file (mode 0600: it holds pre-shared keys)"
	print ".It Pa /usr/share/doc/tunnelctl/examples/"
	print "one example file per common setup"
	print ".El"
}

BEGIN {
	print ".\\\" Generated from docs/tunnel-file.md by scripts/gen-man-conf.awk: edit those, then make man."
	print ".Dd " date
	print ".Dt TUNNELCTL.CONF 5"
	print ".Os"
	print ".Sh NAME"
	print ".Nm tunnelctl.conf"
	print ".Nd tunnelctl tunnel file: IPsec tunnels with pfSense's phase 1 and phase 2 model"
	print ".Sh SYNOPSIS"
	print ".Pa /etc/tunnelctl/tunnels.conf"
}

# code blocks: literal
/^```/ {
	if (!incode) { end_blocks(); print ".Bd -literal -offset indent"; incode = 1 }
	else { print ".Ed"; incode = 0; para = 1 }
	next
}
incode { s = $0; gsub(/\\/, "\\e", s); emit(named(s)); next }

# headings: the document's sections are subsections of DESCRIPTION; Examples is EXAMPLES,
# after FILES as man pages order them
/^# / { end_blocks(); print ".Sh DESCRIPTION"; fresh = 1; next }
/^## / {
	end_blocks()
	h = substr($0, 4)
	if (h == "Examples") { files(); print ".Sh EXAMPLES" }
	else { gsub(/`/, "", h); print ".Ss " h }
	fresh = 1
	next
}

# tables: the header row names the columns, each row becomes a tagged item
/^\|/ {
	fresh = 0
	n = split($0, c, "|")
	if ($0 ~ /^\|---/) next
	if (!intable) {
		end_blocks()
		for (i = 2; i < n; i++)
			head[i] = cell(c[i])
		print ".Bl -tag -width Ds"
		intable = 1
		next
	}
	print ".It " inline(cell(c[2]))
	first = 1
	for (i = 3; i < n; i++) {
		v = cell(c[i])
		if (v == "") continue
		if (!first) print ".br"
		text(head[i] ": " v)
		first = 0
	}
	next
}

# lists
/^- / {
	fresh = 0
	if (intable) { print ".El"; intable = 0 }
	if (!inlist) { print ".Bl -bullet"; inlist = 1 }
	print ".It"
	text(substr($0, 3))
	next
}

/^[ \t]*$/ {
	if (intable) { print ".El"; intable = 0 }
	if (inlist) { print ".El"; inlist = 0 }
	if (!fresh) para = 1
	next
}

# paragraph text (also a list item's continuation lines)
{
	if (intable) { print ".El"; intable = 0 }
	if (para) { print ".Pp"; para = 0 }
	fresh = 0
	text($0)
}

END {
	end_blocks()
	files()
	print ".Sh SEE ALSO"
	print ".Xr swanctl.conf 5 ,"
	print ".Xr tunnelctl 8"
}
