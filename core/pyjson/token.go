package pyjson

// TokenKind is the kind of a Token: the JSON type, with strings and
// numbers split by whether Python's json.dumps prints them as they read.
type TokenKind uint8

const (
	TokenNull TokenKind = iota
	TokenTrue
	TokenFalse
	TokenInt    // an integer other than -0: json.dumps prints it as read
	TokenNumber // -0, a fraction, an exponent, NaN or ±Infinity
	TokenPlain  // a string of printable ASCII without '\\': printed as read
	TokenString // any other string
	TokenObject
	TokenArray
)

// Token is one value of an element DecodeStreamingTokens checked, in
// document order; an object's children are its keys and values,
// alternately. Offsets are int32 to keep tokens small: they are right
// only for elements under 2 GiB, far above the default MaxValueBytes.
type Token struct {
	Kind       TokenKind
	Start, End int32 // the value's bytes, from the element's first byte
	N          int32 // containers: children
	Next       int32 // containers: the index of the token after the last child
}

// tokenKinds is the kind of a value by its first byte, before number and
// strSlow refine it; '-' starts a number or -Infinity.
var tokenKinds = func() (t [256]TokenKind) {
	t['{'], t['['], t['"'] = TokenObject, TokenArray, TokenPlain
	t['n'], t['t'], t['f'] = TokenNull, TokenTrue, TokenFalse
	t['N'], t['I'], t['-'] = TokenNumber, TokenNumber, TokenNumber
	for c := '0'; c <= '9'; c++ {
		t[c] = TokenInt
	}
	return t
}()

// numberKind is the kind of the number of k bytes at d.pos.
func (d *Decoder) numberKind(k int) TokenKind {
	b := d.buf[d.pos : d.pos+k]
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		return TokenNumber // printed as 0
	}
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return TokenNumber
		}
	}
	return TokenInt
}
