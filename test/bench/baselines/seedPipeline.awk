# Reference for the "pipeline-1m-vs-mawk" benchmark: the seed-style transform as an awk script
# (run by mawk). Same output as Fileflow's pipeline on ASCII input with LF line ends (mawk's
# toupper is ASCII-only, and this script does not strip a trailing \r).
#
#   number ("[n] line") -> uppercase -> keep /important|error/i -> split on "|", trim, drop empty
#
# After toupper, /important|error/i is the same test as /IMPORTANT|ERROR/.
{
  line = toupper("[" NR "] " $0)
  if (line !~ /IMPORTANT|ERROR/) next
  parts = split(line, part, /\|/)
  for (i = 1; i <= parts; i++) {
    p = part[i]
    gsub(/^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$/, "", p)
    if (p != "") print p
  }
}
