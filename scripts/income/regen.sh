#!/usr/bin/env bash
# Regenerates client/internal/gen/income.txt, each state's median household income, which
# the generator scales balances by (docs/data.md):
#   scripts/income/regen.sh
#
# Source: U.S. Census Bureau, American Community Survey 2023 1-year estimates, median
# household income in the past 12 months (table B19013), in 2023 dollars; public domain.
# Typed from Table 1 ("2023 ACS median household income") of the Bureau's brief "Household
# Income in States and Metropolitan Areas: 2023" (ACSBR-023, September 2024), read in the
# public copy of its text at https://github.com/brockwebb/open-census-mcp-server/blob/
# ba1e090899ab7f5ce4b068f01f772af80da086aa/knowledge-base/data/mini_corpus/
# e6b4743c02fbdbe3195aa69326e5c3f99ccd68f2.txt
# The brief's highlights are checked below, which catches a typing slip in those rows.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../client/internal/gen/income.txt"

# In the brief's order (by state name): the nation, then the 50 states and DC.
table='US 77719
AL 62212  AK 86631  AZ 77315  AR 58700  CA 95521  CO 92911  CT 91665  DE 81361  DC 108210
FL 73311  GA 74632  HI 95322  ID 74942  IL 80306  IN 69477  IA 71433  KS 70333  KY 61118
LA 58229  ME 73733  MD 98678  MA 99858  MI 69183  MN 85086  MS 54203  MO 68545  MT 70804
NE 74590  NV 76364  NH 96838  NJ 99781  NM 62268  NY 82095  NC 70804  ND 76525  OH 67769
OK 62138  OR 80160  PA 73824  RI 84972  SC 67804  SD 71810  TN 67631  TX 75780  UT 93421
VT 81211  VA 89931  WA 94605  WV 55948  WI 74631  WY 72415'

rows=$(printf '%s\n' "$table" | tr -s ' ' '\n' | paste - - | awk -v OFS='\t' '{ print $1, $2 }')
printf '%s\n' "$rows" | awk -F'\t' '
    { n++; if (seen[$1]++) bad = bad " " $1 " twice"; v[$1] = $2 }
    END {
        if (n != 52) bad = bad " " n " rows, not 52"
        # The highlights of ACSBR-023: the nation; MA, NJ and MD the highest states; DC the
        # highest of all; MS the lowest.
        want["US"] = 77719; want["MA"] = 99858; want["NJ"] = 99781; want["MD"] = 98678
        want["DC"] = 108210; want["MS"] = 54203
        for (s in want) if (v[s] != want[s]) bad = bad " " s "=" v[s] " (want " want[s] ")"
        for (s in v) {
            if (s == "US") continue
            if (v[s] > v["DC"] || v[s] < v["MS"]) bad = bad " " s " outside DC..MS"
            if (s != "DC" && s != "MA" && s != "NJ" && s != "MD" && v[s] >= v["MD"]) bad = bad " " s " above MD"
        }
        if (bad != "") { print "income table:" bad > "/dev/stderr"; exit 1 }
    }'

{
    echo '# Median household income by state, in dollars: made by scripts/income/regen.sh; do not edit.'
    echo '# U.S. Census Bureau, American Community Survey 2023 1-year, table B19013 (public domain).'
    echo '# STATE<TAB>dollars; US, the first, is the nation'"'"'s.'
    printf '%s\n' "$rows" | head -1
    printf '%s\n' "$rows" | tail -n +2 | sort
} >"$out"
echo "client/internal/gen/income.txt: the nation and $(($(grep -vc '^#' "$out") - 1)) states"
