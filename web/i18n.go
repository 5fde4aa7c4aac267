package web

import (
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// Lang is a language the gateway's pages are written in (a BCP 47 primary tag).
type Lang string

// The languages with a string table. English is the fallback.
const (
	English Lang = "en"
	Korean  Lang = "ko"
)

// Languages lists every language with a string table, the fallback first.
func Languages() []Lang { return []Lang{English, Korean} }

// strings returns the string table of l: message key -> text. Values may hold inline
// markup (<strong>, <code>) and {name} placeholders. Each call builds a new map.
func (l Lang) strings() map[string]string {
	if l == Korean {
		return koreanStrings()
	}
	return englishStrings()
}

// LangFor picks the language of a page from the request's Accept-Language header:
// Korean when the most preferred language the gateway has is Korean, else English.
// Weights (q) are honoured; a tag of weight 0 is refused; ties go to the earlier tag.
func LangFor(r *http.Request) Lang {
	best, bestQ := English, -1.0
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		var l Lang
		switch primary {
		case "ko":
			l = Korean
		case "en", "*":
			l = English
		default:
			continue
		}
		if q > 0 && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// translator looks up message keys in one language's table, then in English. A string
// that is no key is shown as given (escaped): the IdP's own error text, a user name.
type translator struct {
	text, fallback map[string]string
}

func newTranslator(l Lang) translator {
	return translator{text: l.strings(), fallback: English.strings()}
}

// lookup returns the raw table text of key and whether the key exists.
func (tr translator) lookup(key string) (string, bool) {
	if s, ok := tr.text[key]; ok {
		return s, true
	}
	s, ok := tr.fallback[key]
	return s, ok
}

// html is the template function t: the text of key as HTML, its {name} placeholders
// replaced by the escaped values of the name/value pairs in args. The tables are
// trusted markup; everything else is escaped.
func (tr translator) html(key string, args ...any) template.HTML {
	s, ok := tr.lookup(key)
	if !ok {
		return template.HTML(html.EscapeString(key))
	}
	return template.HTML(fill(s, args, html.EscapeString))
}

// plain is the template function tx: the text of key for attributes and the title,
// where html/template escapes it. Table texts used this way carry no markup.
func (tr translator) plain(key string, args ...any) string {
	s, ok := tr.lookup(key)
	if !ok {
		return key
	}
	return fill(s, args, func(v string) string { return v })
}

// fill replaces each {name} in s by esc(value) for the name/value pairs in args, or
// for the entries of a map[string]string given as the only argument.
func fill(s string, args []any, esc func(string) string) string {
	if len(args) == 1 {
		m, _ := args[0].(map[string]string)
		for name, v := range m {
			s = strings.ReplaceAll(s, "{"+name+"}", esc(v))
		}
		return s
	}
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		s = strings.ReplaceAll(s, "{"+name+"}", esc(toString(args[i+1])))
	}
	return s
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	}
	return ""
}
