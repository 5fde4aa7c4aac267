package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// binding parses a setting's text into its Config field and shows the field back as
// text, secrets redacted.
type binding struct {
	parse func(c *Config, v string) error // the error text is the problem and its fix
	show  func(c *Config) string
}

// text binds a string field, trimmed.
func text(p func(*Config) *string) binding {
	return binding{
		parse: func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil },
		show:  func(c *Config) string { return *p(c) },
	}
}

// word binds a keyword field, trimmed and lower-cased.
func word(p func(*Config) *string) binding {
	return binding{
		parse: func(c *Config, v string) error { *p(c) = strings.ToLower(strings.TrimSpace(v)); return nil },
		show:  func(c *Config) string { return *p(c) },
	}
}

// storeText binds SESSION_STORE, shown with any password in the URL hidden.
func storeText(p func(*Config) *string) binding {
	b := text(p)
	b.show = func(c *Config) string { return ShowURLText(*p(c)) }
	return b
}

// boolean binds a bool field: true/false, 1/0, yes/no in any letter case.
func boolean(p func(*Config) *bool) binding {
	return binding{
		parse: func(c *Config, v string) error {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true", "1", "yes":
				*p(c) = true
			case "false", "0", "no":
				*p(c) = false
			default:
				return errors.New("must be true or false (1/0 and yes/no work too)")
			}
			return nil
		},
		show: func(c *Config) string { return fmt.Sprint(*p(c)) },
	}
}

// duration binds a time.Duration field.
func duration(p func(*Config) *time.Duration) binding {
	return binding{
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return errors.New("must be a duration in h, m or s, such as 720h (30 days), 90m or 30s")
			}
			*p(c) = d
			return nil
		},
		show: func(c *Config) string { return shortDuration(*p(c)) },
	}
}

// shortDuration writes 720h rather than 720h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// list binds a comma-separated list: items trimmed, empty items dropped, each passed
// through norm when it is not nil.
func list(p func(*Config) *[]string, norm func(string) string) binding {
	return binding{
		parse: func(c *Config, v string) error {
			var items []string
			for item := range strings.SplitSeq(v, ",") {
				item = strings.TrimSpace(item)
				if norm != nil {
					item = norm(item)
				}
				if item != "" {
					items = append(items, item)
				}
			}
			*p(c) = items
			return nil
		},
		show: func(c *Config) string { return strings.Join(*p(c), ",") },
	}
}

// emailDomain normalises an e-mail domain: lower case, without a leading "@".
func emailDomain(s string) string { return strings.ToLower(strings.TrimPrefix(s, "@")) }

// scopes binds OIDC_SCOPES: separated by spaces (commas are tolerated).
func scopes(p func(*Config) *[]string) binding {
	return binding{
		parse: func(c *Config, v string) error {
			*p(c) = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
			return nil
		},
		show: func(c *Config) string { return strings.Join(*p(c), " ") },
	}
}

// secretText binds a secret string.
func secretText(p func(*Config) *Secret) binding {
	return binding{
		parse: func(c *Config, v string) error { *p(c) = Secret(strings.TrimSpace(v)); return nil },
		show:  func(c *Config) string { return p(c).String() },
	}
}

// cookieSecret binds COOKIE_SECRET: base64 (standard or URL alphabet, padded or not),
// stored decoded.
func cookieSecret(p func(*Config) *Secret) binding {
	return binding{
		parse: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v == "" {
				*p(c) = ""
				return nil
			}
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(v); err == nil {
					*p(c) = Secret(b)
					return nil
				}
			}
			return errors.New(`is not valid base64: generate one with "openssl rand -base64 32"`)
		},
		show: func(c *Config) string { return p(c).String() },
	}
}

// urlValue binds a URL field; "" is nil. trimSlash drops a trailing "/" from the path,
// so that paths can be appended. problem is the error text for an unparsable URL.
func urlValue(p func(*Config) **url.URL, problem string, trimSlash bool) binding {
	return binding{
		parse: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v == "" {
				*p(c) = nil
				return nil
			}
			u, err := url.Parse(v)
			if err != nil {
				return errors.New(problem)
			}
			if trimSlash {
				u.Path = strings.TrimSuffix(u.Path, "/")
				u.RawPath = strings.TrimSuffix(u.RawPath, "/")
			}
			*p(c) = u
			return nil
		},
		show: func(c *Config) string { return showURL(*p(c)) },
	}
}

// roleMap binds ROLE_MAP: "group=role,group2=role". Roles are checked by Validate.
func roleMap(p func(*Config) *map[string]string) binding {
	return binding{
		parse: func(c *Config, v string) error {
			m := map[string]string{}
			for pair := range strings.SplitSeq(v, ",") {
				pair = strings.TrimSpace(pair)
				if pair == "" {
					continue
				}
				i := strings.LastIndex(pair, "=")
				group, role := strings.TrimSpace(pair[:max(i, 0)]), strings.ToLower(strings.TrimSpace(pair[i+1:]))
				if i < 0 || group == "" || role == "" {
					return errors.New("must be group=role pairs separated by commas, e.g. wandb-admins=admin,ml-team=member")
				}
				if _, dup := m[group]; dup {
					return fmt.Errorf("maps group %q twice: keep one", group)
				}
				m[group] = role
			}
			if len(m) == 0 {
				m = nil
			}
			*p(c) = m
			return nil
		},
		show: func(c *Config) string { return showRoleMap(*p(c)) },
	}
}

// showRoleMap writes a role map as ROLE_MAP text, sorted by group.
func showRoleMap(m map[string]string) string {
	pairs := make([]string, 0, len(m))
	for _, g := range slices.Sorted(maps.Keys(m)) {
		pairs = append(pairs, g+"="+m[g])
	}
	return strings.Join(pairs, ",")
}

// prefixes binds TRUSTED_PROXIES: CIDRs or bare addresses (a /32 or /128).
func prefixes(p func(*Config) *[]netip.Prefix) binding {
	return binding{
		parse: func(c *Config, v string) error {
			var out []netip.Prefix
			for item := range strings.SplitSeq(v, ",") {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				pfx, err := netip.ParsePrefix(item)
				if err != nil {
					addr, aerr := netip.ParseAddr(item)
					if aerr != nil {
						return fmt.Errorf("%q is not a CIDR or IP address: write e.g. 10.0.0.0/8,192.168.1.10", item)
					}
					pfx = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
				}
				out = append(out, pfx.Masked())
			}
			*p(c) = out
			return nil
		},
		show: func(c *Config) string {
			items := make([]string, 0, len(*p(c)))
			for _, pfx := range *p(c) {
				items = append(items, pfx.String())
			}
			return strings.Join(items, ",")
		},
	}
}

// level binds LOG_LEVEL: debug, info, warn (or warning) or error.
func level(p func(*Config) *slog.Level) binding {
	return binding{
		parse: func(c *Config, v string) error {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "debug":
				*p(c) = slog.LevelDebug
			case "info":
				*p(c) = slog.LevelInfo
			case "warn", "warning":
				*p(c) = slog.LevelWarn
			case "error":
				*p(c) = slog.LevelError
			default:
				return errors.New(levelProblem)
			}
			return nil
		},
		show: func(c *Config) string { return strings.ToLower(p(c).String()) },
	}
}

// showURL writes u with any password hidden; nil is "".
func showURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Redacted()
}

// ShowURLText writes a URL given as text with any password hidden, as the
// configuration's problems show it. Text that does not
// parse is shown only when it cannot hold credentials.
func ShowURLText(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return ""
		}
		return s
	}
	return u.Redacted()
}
