package traces

// fastRecord decodes the JSON object text into r when it is in the plain
// form the writers produce: one flat object of known keys, each once,
// whose strings are ASCII without escapes and whose numbers are integers.
// It reports false for anything else (r is then undefined), which
// strictDecode decodes, or refuses with the right message: the two agree
// on every text fastRecord takes (FuzzFastRecord).
func fastRecord(text []byte, r *Record) bool {
	p := jsonScan{b: text}
	p.ws()
	if !p.byte('{') {
		return false
	}
	var seen uint16
	p.ws()
	if p.byte('}') {
		return false // no "client": the slow path says so
	}
	for {
		p.ws()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.byte(':') {
			return false
		}
		p.ws()
		bit, ok := p.field(key, r)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		p.ws()
		if p.byte('}') {
			break
		}
		if !p.byte(',') {
			return false
		}
	}
	p.ws()
	return p.i == len(p.b) && seen&fClient != 0
}

// Bits of the fields fastRecord has seen.
const (
	fType uint16 = 1 << iota
	fID
	fClient
	fOp
	fObj
	fSection
	fGP
	fResult
	fCall
	fReturn
	fPending
	fInfo
	fTime
	fAction
)

// jsonScan reads JSON text from b at i.
type jsonScan struct {
	b []byte
	i int
}

func (p *jsonScan) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonScan) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (p *jsonScan) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(p.b[start : p.i-1]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
		p.i++
	}
	return "", false
}

// int reads an integer that fits in an int64: -?(0|[1-9][0-9]*).
func (p *jsonScan) int() (int64, bool) {
	neg := p.byte('-')
	start := p.i
	var v uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		if v > (1<<63)/10 {
			return 0, false
		}
		v = v*10 + uint64(p.b[p.i]-'0')
		p.i++
	}
	n := p.i - start
	if n == 0 || (n > 1 && p.b[start] == '0') || v > 1<<63 || (!neg && v == 1<<63) {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// field reads the value of key into r and returns the key's bit.
func (p *jsonScan) field(key string, r *Record) (uint16, bool) {
	for _, f := range [...]struct {
		name string
		bit  uint16
		dst  *string
	}{{"type", fType, &r.Type}, {"op", fOp, (*string)(&r.Op)}, {"obj", fObj, &r.Obj}, {"section", fSection, &r.Section},
		{"result", fResult, &r.Result}, {"info", fInfo, &r.Info}, {"action", fAction, &r.Action}} {
		if f.name == key {
			var ok bool
			*f.dst, ok = p.str()
			return f.bit, ok
		}
	}
	for _, f := range [...]struct {
		name string
		bit  uint16
		dst  **int64
	}{{"gp", fGP, &r.GP}, {"call", fCall, &r.Call}, {"return", fReturn, &r.Return}, {"time", fTime, &r.Time}} {
		if f.name == key {
			v, ok := p.int()
			*f.dst = &v
			return f.bit, ok
		}
	}
	switch key {
	case "id":
		var ok bool
		r.ID, ok = p.int()
		return fID, ok
	case "client":
		v, ok := p.int()
		r.Client = int(v)
		return fClient, ok && int64(int(v)) == v
	case "pending":
		r.Pending = p.lit("true")
		return fPending, r.Pending || p.lit("false")
	}
	return 0, false
}

func (p *jsonScan) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}
