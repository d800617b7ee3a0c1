package conform

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Tag expressions select scenarios. Two spellings are accepted and may be mixed:
// cucumber's ("@must and not @lockout", "(@a or @b) and @c") and godog's older one
// ("@must && ~@lockout", "@a,@b"). Both give not the tightest binding, then and,
// then or. godog's own filter has no parentheses and panics on some malformed
// input, so the expression is parsed here first, and what godog gets is the same
// selection in disjunctive normal form ("," between alternatives of "&&"-joined
// tags), which its filter reads without trouble.

// maxTagTerms bounds the normal form, which can grow exponentially with nested
// "and" of "or"s; no real selection comes near it.
const maxTagTerms = 256

type tagExpr interface {
	dnf() ([][]string, error)
}

type tagLit struct {
	tag string
	not bool
}

type tagAnd struct{ l, r tagExpr }
type tagOr struct{ l, r tagExpr }
type tagNot struct{ e tagExpr }

func (t tagLit) dnf() ([][]string, error) {
	if t.not {
		return [][]string{{"~" + t.tag}}, nil
	}
	return [][]string{{t.tag}}, nil
}

func (o tagOr) dnf() ([][]string, error) {
	l, err := o.l.dnf()
	if err != nil {
		return nil, err
	}
	r, err := o.r.dnf()
	if err != nil {
		return nil, err
	}
	if len(l)+len(r) > maxTagTerms {
		return nil, fmt.Errorf("the expression is too large")
	}
	return append(l, r...), nil
}

func (a tagAnd) dnf() ([][]string, error) {
	l, err := a.l.dnf()
	if err != nil {
		return nil, err
	}
	r, err := a.r.dnf()
	if err != nil {
		return nil, err
	}
	if len(l)*len(r) > maxTagTerms {
		return nil, fmt.Errorf("the expression is too large")
	}
	var out [][]string
	for _, x := range l {
		for _, y := range r {
			out = append(out, append(slices.Clone(x), y...))
		}
	}
	return out, nil
}

// dnf of a negation pushes it inward (De Morgan).
func (n tagNot) dnf() ([][]string, error) {
	switch e := n.e.(type) {
	case tagLit:
		return tagLit{tag: e.tag, not: !e.not}.dnf()
	case tagNot:
		return e.e.dnf()
	case tagAnd:
		return tagOr{tagNot{e.l}, tagNot{e.r}}.dnf()
	case tagOr:
		return tagAnd{tagNot{e.l}, tagNot{e.r}}.dnf()
	}
	return nil, fmt.Errorf("unexpected expression")
}

// tagParser is a recursive-descent parser over the tokens of an expression.
type tagParser struct {
	toks []string
	pos  int
}

func tokenizeTags(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')' || c == ',' || c == '~':
			toks = append(toks, string(c))
			i++
		case strings.HasPrefix(s[i:], "&&"):
			toks = append(toks, "&&")
			i += 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n(),~", rune(s[j])) && !strings.HasPrefix(s[j:], "&&") {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

func (p *tagParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *tagParser) or() (tagExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t == "or" || t == ","; t = p.peek() {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = tagOr{l, r}
	}
	return l, nil
}

func (p *tagParser) and() (tagExpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t == "and" || t == "&&"; t = p.peek() {
		p.pos++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = tagAnd{l, r}
	}
	return l, nil
}

func (p *tagParser) not() (tagExpr, error) {
	t := p.peek()
	switch {
	case t == "not" || t == "~":
		p.pos++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return tagNot{e}, nil
	case t == "(":
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("a '(' is not closed")
		}
		p.pos++
		return e, nil
	case t == "":
		return nil, fmt.Errorf("it ends where a tag was expected")
	case t == ")" || t == "and" || t == "or" || t == "&&" || t == ",":
		return nil, fmt.Errorf("%q stands where a tag was expected", t)
	case !strings.HasPrefix(t, "@") || len(t) == 1:
		return nil, fmt.Errorf("%q is not a tag: tags start with @ (did you mean @%s?)", t, strings.TrimPrefix(t, "@"))
	case strings.IndexFunc(t[1:], func(r rune) bool { return unicode.IsSpace(r) || r == '@' }) >= 0:
		return nil, fmt.Errorf("%q is not a tag", t)
	}
	p.pos++
	return tagLit{tag: t}, nil
}

// ParseTags parses a tag expression in either spelling and returns it in godog's
// syntax, in disjunctive normal form; "" selects everything.
func ParseTags(expr string) (string, error) {
	if strings.TrimSpace(expr) == "" {
		return "", nil
	}
	p := &tagParser{toks: tokenizeTags(expr)}
	e, err := p.or()
	if err == nil && p.pos < len(p.toks) {
		err = fmt.Errorf("%q is left over after a whole expression", strings.Join(p.toks[p.pos:], " "))
	}
	if err != nil {
		return "", fmt.Errorf("%w: tags %q: %v", ErrOptions, expr, err)
	}
	terms, err := e.dnf()
	if err != nil {
		return "", fmt.Errorf("%w: tags %q: %v", ErrOptions, expr, err)
	}
	alts := make([]string, len(terms))
	for i, t := range terms {
		alts[i] = strings.Join(t, " && ")
	}
	return strings.Join(alts, ","), nil
}
