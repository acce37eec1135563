package subscriber

import (
	"errors"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/wazuh/aws-s3-go/core/pycsv"
	"github.com/wazuh/aws-s3-go/core/pyjson"
)

// errNoDelimiter is csv.Sniffer's failure on a sample it cannot read.
var errNoDelimiter = errors.New("Could not determine delimiter")

// sniff is csv.Sniffer().sniff(sample) for the one-line sample the
// reference passes (the object's first line): quoted fields decide first,
// then the delimiter frequency table with its preference order.
func sniff(sample string) (pycsv.Dialect, error) {
	quote, dq, delim, skip := guessQuoteAndDelimiter(sample)
	if delim == 0 {
		delim, skip = guessDelimiter(sample)
	}
	if delim == 0 {
		return pycsv.Dialect{}, errNoDelimiter
	}
	if quote == 0 {
		quote = '"'
	}
	return pycsv.Dialect{Delimiter: delim, Quote: quote, DoubleQuote: dq, SkipInitialSpace: skip}, nil
}

func isQuote(r rune) bool { return r == '"' || r == '\'' }

// isWord is Python's \w for str patterns.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r)
}

// delimCandidate is the sniffer's [^\w\n"'].
func delimCandidate(r rune) bool { return r != '\n' && !isQuote(r) && !isWord(r) }

// quoteMatch is one match of the sniffer's quoted-field patterns.
type quoteMatch struct {
	quote, delim rune // delim 0: the pattern has no delimiter group
	space        bool
	hasSpace     bool // the pattern has a space group
}

// guessQuoteAndDelimiter is Sniffer._guess_quote_and_delimiter: the four
// patterns are tried in order and the first that matches anywhere decides.
func guessQuoteAndDelimiter(sample string) (quote rune, doubleQuote bool, delim rune, skipSpace bool) {
	s := []rune(sample)
	var matches []quoteMatch
	for _, find := range []func([]rune) []quoteMatch{quotedBetweenDelims, quotedAtLineStart, quotedAtLineEnd, quotedLine} {
		if matches = find(s); len(matches) > 0 {
			break
		}
	}
	if len(matches) == 0 {
		return 0, false, 0, false
	}
	quotes, delims := counter{}, counter{}
	spaces := 0
	for _, m := range matches {
		quotes.add(m.quote)
		if m.delim == 0 {
			continue
		}
		delims.add(m.delim)
		if m.space {
			spaces++
		}
	}
	quote = quotes.max()
	if len(delims.order) > 0 {
		delim = delims.max()
		skipSpace = delims.n[delim] == spaces
	}
	d := ""
	if delim != 0 {
		d = regexp.QuoteMeta(string(delim))
	}
	q := regexp.QuoteMeta(string(quote))
	notDQ := `[^\n]`
	if d != "" {
		notDQ = `[^` + d + `\n]`
	}
	// Python's \W is Unicode-aware.
	const nonWord = `[^\p{L}\p{N}\p{Mn}_]`
	dq := regexp.MustCompile(`(?m)((` + d + `)|^)` + nonWord + `*` + q + notDQ + `*` + q + notDQ + `*` + q + nonWord + `*((` + d + `)|$)`)
	return quote, dq.MatchString(sample), delim, skipSpace
}

// counter counts runes keeping first-seen order, so that ties resolve like
// Python's max over a dict.
type counter struct {
	n     map[rune]int
	order []rune
}

func (c *counter) add(r rune) {
	if c.n == nil {
		c.n = map[rune]int{}
	}
	if _, ok := c.n[r]; !ok {
		c.order = append(c.order, r)
	}
	c.n[r]++
}

func (c *counter) max() rune {
	best := c.order[0]
	for _, r := range c.order[1:] {
		if c.n[r] > c.n[best] {
			best = r
		}
	}
	return best
}

// quoteAt reads the optional space and the opening quote after a
// delimiter at i, as the greedy " ?" followed by ["'] would.
func quoteAt(s []rune, i int) (q rune, space bool, next int, ok bool) {
	if i+1 < len(s) && s[i] == ' ' && isQuote(s[i+1]) {
		return s[i+1], true, i + 2, true
	}
	if i < len(s) && isQuote(s[i]) {
		return s[i], false, i + 1, true
	}
	return 0, false, 0, false
}

// closing returns the first k >= from with s[k] == q for which after(k+1)
// holds (the lazy .*? of the patterns, DOTALL).
func closing(s []rune, from int, q rune, after func(int) bool) int {
	for k := from; k < len(s); k++ {
		if s[k] == q && after(k+1) {
			return k
		}
	}
	return -1
}

func lineEnd(s []rune) func(int) bool {
	return func(i int) bool { return i == len(s) || s[i] == '\n' }
}

// quotedBetweenDelims: (?P<delim>[^\w\n"'])(?P<space> ?)(?P<quote>["']).*?(?P=quote)(?P=delim)
func quotedBetweenDelims(s []rune) []quoteMatch {
	var out []quoteMatch
	for i := 0; i < len(s); i++ {
		if !delimCandidate(s[i]) {
			continue
		}
		d := s[i]
		q, sp, j, ok := quoteAt(s, i+1)
		if !ok {
			continue
		}
		k := closing(s, j, q, func(n int) bool { return n < len(s) && s[n] == d })
		if k < 0 {
			continue
		}
		out = append(out, quoteMatch{quote: q, delim: d, space: sp, hasSpace: true})
		i = k + 1
	}
	return out
}

// lineStarts calls fn at each position where (?:^|\n) lets a quote follow.
func lineStarts(s []rune, fn func(p int) int) {
	for p := 0; p < len(s); {
		if p == 0 || s[p-1] == '\n' {
			if e := fn(p); e >= 0 {
				p = e
				continue
			}
		}
		p++
	}
}

// quotedAtLineStart: (?:^|\n)(?P<quote>["']).*?(?P=quote)(?P<delim>[^\w\n"'])(?P<space> ?)
func quotedAtLineStart(s []rune) []quoteMatch {
	var out []quoteMatch
	lineStarts(s, func(p int) int {
		if !isQuote(s[p]) {
			return -1
		}
		q := s[p]
		k := closing(s, p+1, q, func(n int) bool { return n < len(s) && delimCandidate(s[n]) })
		if k < 0 {
			return -1
		}
		end := k + 2
		sp := end < len(s) && s[end] == ' '
		if sp {
			end++
		}
		out = append(out, quoteMatch{quote: q, delim: s[k+1], space: sp, hasSpace: true})
		return end
	})
	return out
}

// quotedAtLineEnd: (?P<delim>[^\w\n"'])(?P<space> ?)(?P<quote>["']).*?(?P=quote)(?:$|\n)
func quotedAtLineEnd(s []rune) []quoteMatch {
	var out []quoteMatch
	for i := 0; i < len(s); i++ {
		if !delimCandidate(s[i]) {
			continue
		}
		q, sp, j, ok := quoteAt(s, i+1)
		if !ok {
			continue
		}
		k := closing(s, j, q, lineEnd(s))
		if k < 0 {
			continue
		}
		out = append(out, quoteMatch{quote: q, delim: s[i], space: sp, hasSpace: true})
		i = k
	}
	return out
}

// quotedLine: (?:^|\n)(?P<quote>["']).*?(?P=quote)(?:$|\n)
func quotedLine(s []rune) []quoteMatch {
	var out []quoteMatch
	lineStarts(s, func(p int) int {
		if !isQuote(s[p]) {
			return -1
		}
		k := closing(s, p+1, s[p], lineEnd(s))
		if k < 0 {
			return -1
		}
		out = append(out, quoteMatch{quote: s[p]})
		return k + 1
	})
	return out
}

// sniffPreferred is Sniffer.preferred.
var sniffPreferred = []rune{',', '\t', ';', ' ', ':'}

// guessDelimiter is Sniffer._guess_delimiter on a sample of one line: every
// 7-bit character present is equally consistent, so a preferred delimiter
// wins, else the most frequent character (the greatest on a tie).
func guessDelimiter(sample string) (rune, bool) {
	var line string
	for _, l := range strings.Split(sample, "\n") {
		if l != "" {
			line = l
			break
		}
	}
	if line == "" {
		return 0, false
	}
	freq := map[rune]int{}
	for _, r := range line {
		if r < 127 {
			freq[r]++
		}
	}
	if len(freq) == 0 {
		return 0, false
	}
	pick := rune(0)
	if len(freq) > 1 {
		for _, p := range sniffPreferred {
			if freq[p] > 0 {
				pick = p
				break
			}
		}
	}
	if pick == 0 {
		cands := make([]rune, 0, len(freq))
		for r := range freq {
			cands = append(cands, r)
		}
		sort.Slice(cands, func(i, j int) bool {
			if freq[cands[i]] != freq[cands[j]] {
				return freq[cands[i]] < freq[cands[j]]
			}
			return cands[i] < cands[j]
		})
		pick = cands[len(cands)-1]
	}
	d := string(pick)
	return pick, strings.Count(line, d) == strings.Count(line, d+" ")
}

// nullKey is how json.dumps writes the None key under which csv.DictReader
// puts the values of a row longer than the header.
const nullKey = "null"

// csvEvents is csv.DictReader over text with d, each row without its None
// values and with the source constant, as the reference builds them. A
// csv.Error (a field past csv.field_size_limit) fails the object as it
// failed the reference.
func csvEvents(text string, d pycsv.Dialect) ([]*pyjson.Object, error) {
	r := pycsv.NewReader(strings.NewReader(text), d)
	first, err := r.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, csvError(err)
	}
	header := append([]string(nil), first...)
	var out []*pyjson.Object
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(row) == 0 {
			continue
		}
		o := pyjson.NewObject(len(header) + 1)
		for i, name := range header {
			if i < len(row) {
				o.Set(name, row[i])
			} else {
				// DictReader's restval None replaces an earlier column of
				// the same name, and None values are then dropped.
				o.Delete(name)
			}
		}
		if len(row) > len(header) {
			rest := make([]pyjson.Value, 0, len(row)-len(header))
			for _, v := range row[len(header):] {
				rest = append(rest, v)
			}
			o.Set(nullKey, rest)
		}
		o.Set("source", source)
		out = append(out, o)
	}
}

func csvError(err error) error {
	var ce *pycsv.Error
	if errors.As(err, &ce) {
		return &parseError{"Error(" + pyjson.ReprString(ce.Msg) + ")"}
	}
	return err
}
