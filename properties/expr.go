package properties

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rcucheck/rcucheck/model"
)

// BoundExpr is a parsed metric bound: two integer expressions compared.
//
// Grammar:
//
//	bound  = expr cmp expr          cmp: <=  <  >=  >  ==  !=
//	expr   = term { (+|-) term }
//	term   = factor { (*|/) factor }  (/ is integer division, rounding down)
//	factor = integer | name | ( expr ) | - factor
//	name   = pages | pending | reserve_used      (the state's metrics)
//	       | N | B | C | R | K | L               (the parameters)
//
// A divisor may not mention a metric (it must be constant for a run), and
// evaluation reports an error on division by zero or int64 overflow.
type BoundExpr struct {
	lhs, rhs node
	cmp      string
}

type node struct {
	op          byte // 'n' number, 'v' variable, '+', '-', '*', '/', 'u' (negate)
	val         int64
	name        string
	left, right *node
}

// maxBoundLen bounds the text of a bound, to keep parsing cheap.
const maxBoundLen = 1000

var boundNames = []string{"pages", "pending", "reserve_used", "N", "B", "C", "R", "K", "L"}

// ParseBound parses a metric bound; see BoundExpr for the grammar.
func ParseBound(text string) (*BoundExpr, error) {
	if len(text) > maxBoundLen {
		return nil, fmt.Errorf("bound is longer than %d characters", maxBoundLen)
	}
	p := &parser{text: text}
	if err := p.lex(); err != nil {
		return nil, fmt.Errorf("bound %q: %w", text, err)
	}
	b, err := p.bound()
	if err != nil {
		return nil, fmt.Errorf("bound %q: %w", text, err)
	}
	// String must give text ParseBound reads back (gate files and reports
	// print it): its normal form, spaced, may be longer than the text.
	if n := len(b.String()); n > maxBoundLen {
		return nil, fmt.Errorf("bound is longer than %d characters once normalised (%d)", maxBoundLen, n)
	}
	return b, nil
}

type token struct {
	kind byte // 'n' number, 'i' identifier, 'o' operator, 'c' comparison
	text string
	pos  int
}

type parser struct {
	text  string
	toks  []token
	pos   int
	depth int
}

func (p *parser) lex() error {
	s := p.text
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			p.toks = append(p.toks, token{'n', s[i:j], i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			p.toks = append(p.toks, token{'i', s[i:j], i})
			i = j
		case strings.ContainsRune("+-*/()", rune(c)):
			p.toks = append(p.toks, token{'o', s[i : i+1], i})
			i++
		case c == '<' || c == '>' || c == '=' || c == '!':
			if i+1 < len(s) && s[i+1] == '=' {
				p.toks = append(p.toks, token{'c', s[i : i+2], i})
				i += 2
				continue
			}
			if c == '<' || c == '>' {
				p.toks = append(p.toks, token{'c', s[i : i+1], i})
				i++
				continue
			}
			return fmt.Errorf("unexpected %q at offset %d (comparisons: <= < >= > == !=)", c, i)
		default:
			return fmt.Errorf("unexpected %q at offset %d", c, i)
		}
	}
	return nil
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) bound() (*BoundExpr, error) {
	lhs, err := p.expr()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t == nil || t.kind != 'c' {
		return nil, errors.New("want a comparison (<=, <, >=, >, ==, !=) between two expressions")
	}
	p.pos++
	rhs, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t != nil {
		return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
	}
	if !lhs.mentionsMetric() && !rhs.mentionsMetric() {
		return nil, errors.New("the bound mentions no metric (pages, pending, reserve_used)")
	}
	return &BoundExpr{lhs: *lhs, rhs: *rhs, cmp: t.text}, nil
}

func (p *parser) expr() (*node, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t != nil && (t.text == "+" || t.text == "-"); t = p.peek() {
		p.pos++
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		left = &node{op: t.text[0], left: left, right: right}
	}
	return left, nil
}

func (p *parser) term() (*node, error) {
	left, err := p.factor()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t != nil && (t.text == "*" || t.text == "/"); t = p.peek() {
		p.pos++
		right, err := p.factor()
		if err != nil {
			return nil, err
		}
		if t.text == "/" && right.mentionsMetric() {
			return nil, fmt.Errorf("divisor at offset %d mentions a metric; divide only by numbers and parameters", t.pos)
		}
		left = &node{op: t.text[0], left: left, right: right}
	}
	return left, nil
}

func (p *parser) factor() (*node, error) {
	t := p.peek()
	if t == nil {
		return nil, errors.New("unexpected end of the bound")
	}
	p.pos++
	switch {
	case t.kind == 'n':
		v, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("number %q at offset %d is too large", t.text, t.pos)
		}
		return &node{op: 'n', val: v}, nil
	case t.kind == 'i':
		for _, n := range boundNames {
			if n == t.text {
				return &node{op: 'v', name: n}, nil
			}
		}
		return nil, fmt.Errorf("unknown name %q at offset %d (want one of %s)", t.text, t.pos, strings.Join(boundNames, ", "))
	case t.text == "(":
		p.depth++
		if p.depth > 100 {
			return nil, errors.New("parentheses nested too deeply")
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.depth--
		if c := p.peek(); c == nil || c.text != ")" {
			return nil, fmt.Errorf("missing ')' for '(' at offset %d", t.pos)
		}
		p.pos++
		return e, nil
	case t.text == "-":
		p.depth++
		if p.depth > 100 {
			return nil, errors.New("too many unary minus signs")
		}
		f, err := p.factor()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &node{op: 'u', left: f}, nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
}

func (n *node) mentionsMetric() bool {
	if n == nil {
		return false
	}
	if n.op == 'v' {
		return n.name == "pages" || n.name == "pending" || n.name == "reserve_used"
	}
	return n.left.mentionsMetric() || n.right.mentionsMetric()
}

var errOverflow = errors.New("integer overflow")

func (n *node) eval(p *model.Params, mt *model.Metrics) (int64, error) {
	switch n.op {
	case 'n':
		return n.val, nil
	case 'v':
		switch n.name {
		case "pages":
			return mt.Pages, nil
		case "pending":
			return mt.Pending, nil
		case "reserve_used":
			return mt.ReserveUsed, nil
		case "N":
			return int64(p.CPUs), nil
		case "B":
			return int64(p.Bulk), nil
		case "C":
			return int64(p.Cache), nil
		case "R":
			return int64(p.Reserve), nil
		case "K":
			return int64(p.Calls), nil
		case "L":
			return int64(p.Limit), nil
		}
		return 0, fmt.Errorf("unknown name %q", n.name)
	case 'u':
		v, err := n.left.eval(p, mt)
		if err != nil {
			return 0, err
		}
		if v == math.MinInt64 {
			return 0, errOverflow
		}
		return -v, nil
	}
	a, err := n.left.eval(p, mt)
	if err != nil {
		return 0, err
	}
	b, err := n.right.eval(p, mt)
	if err != nil {
		return 0, err
	}
	switch n.op {
	case '+':
		r := a + b
		if (r > a) != (b > 0) {
			return 0, errOverflow
		}
		return r, nil
	case '-':
		r := a - b
		if (r < a) != (b > 0) {
			return 0, errOverflow
		}
		return r, nil
	case '*':
		if a == 0 || b == 0 {
			return 0, nil
		}
		r := a * b
		if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return 0, errOverflow
		}
		return r, nil
	case '/':
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		if a == math.MinInt64 && b == -1 {
			return 0, errOverflow
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return q, nil
	}
	return 0, fmt.Errorf("bad operator %q", n.op)
}

func (n *node) String() string {
	switch n.op {
	case 'n':
		return strconv.FormatInt(n.val, 10)
	case 'v':
		return n.name
	case 'u':
		return "-" + n.left.paren('u')
	}
	return n.left.paren(n.op) + " " + string(n.op) + " " + n.right.parenRight(n.op)
}

func prec(op byte) int {
	switch op {
	case '+', '-':
		return 1
	case '*', '/':
		return 2
	}
	return 3
}

// paren formats n as the left operand of parent.
func (n *node) paren(parent byte) string {
	if prec(n.op) < prec(parent) {
		return "(" + n.String() + ")"
	}
	return n.String()
}

// parenRight formats n as the right operand of parent: operators of equal
// precedence need parentheses there (a - (b - c)).
func (n *node) parenRight(parent byte) string {
	if prec(n.op) <= prec(parent) && n.op != 'n' && n.op != 'v' && n.op != 'u' {
		return "(" + n.String() + ")"
	}
	return n.String()
}

// String returns the bound in a normalised form, which parses back to the
// same bound.
func (b *BoundExpr) String() string { return b.lhs.String() + " " + b.cmp + " " + b.rhs.String() }

// Eval reports whether the bound holds for parameters p and metrics mt.
func (b *BoundExpr) Eval(p model.Params, mt model.Metrics) (bool, error) {
	l, err := b.lhs.eval(&p, &mt)
	if err != nil {
		return false, err
	}
	r, err := b.rhs.eval(&p, &mt)
	if err != nil {
		return false, err
	}
	switch b.cmp {
	case "<=":
		return l <= r, nil
	case "<":
		return l < r, nil
	case ">=":
		return l >= r, nil
	case ">":
		return l > r, nil
	case "==":
		return l == r, nil
	case "!=":
		return l != r, nil
	}
	return false, fmt.Errorf("bad comparison %q", b.cmp)
}

// Validate reports an error when the bound cannot be evaluated at p: a
// divisor that is zero, or an overflow with all metrics zero.
func (b *BoundExpr) Validate(p model.Params) error {
	_, err := b.Eval(p, model.Metrics{})
	return err
}
