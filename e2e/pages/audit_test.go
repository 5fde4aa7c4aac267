package pages

// auditJS measures the page as Chromium rendered it and returns JSON for audit:
// the document's scroll width against the window's, the widest element, and every
// text or control whose contrast is below WCAG 2.2's minimum (1.4.3: text 4.5:1,
// large text 3:1; 1.4.11: a control's boundary, its fill or its border, 3:1 against
// what surrounds it). Colours are the computed ones, semi-transparent layers blended
// over what is under them; disabled controls are exempt, as WCAG allows.
const auditJS = `(() => {
  const parse = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const over = (top, under) => ({r: top.r*top.a + under.r*(1-top.a), g: top.g*top.a + under.g*(1-top.a), b: top.b*top.a + under.b*(1-top.a), a: 1});
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); };
    return 0.2126*f(c.r) + 0.7152*f(c.g) + 0.0722*f(c.b); };
  const ratio = (x, y) => { const a = lum(x), b = lum(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const background = el => { const chain = []; for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (const e of chain) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0) bg = over(c, bg); }
    return bg; };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const visible = el => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const problems = []; let checked = 0; let widest = '', widestRight = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.right > widestRight) { widestRight = rect.right; widest = name(el) + ' (right edge ' + Math.round(rect.right) + 'px)'; }
    const cs = getComputedStyle(el);
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (text) {
      checked++;
      const bg = background(el); const fg = over(parse(cs.color), bg);
      const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
      const need = (size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5;
      const got = ratio(fg, bg);
      if (got < need) problems.push('text ' + JSON.stringify(text.slice(0, 40)) + ' in ' + name(el) + ': contrast ' + got.toFixed(2) + ':1, want ' + need + ':1');
    }
    const control = el.matches('input:not([type=hidden]), select, textarea, button, a.button');
    if (control && !el.disabled) {
      checked++;
      const around = background(el.parentElement);
      const fill = parse(cs.backgroundColor); const border = parse(cs.borderTopColor);
      let best = 1;
      if (fill && fill.a > 0) best = Math.max(best, ratio(over(fill, around), around));
      if (border && parseFloat(cs.borderTopWidth) > 0) best = Math.max(best, ratio(over(border, around), around));
      if (best < 3) problems.push('control ' + name(el) + ': boundary contrast ' + best.toFixed(2) + ':1 against its surroundings, want 3:1');
    }
  }
  return JSON.stringify({Lang: document.documentElement.lang, ScrollWidth: document.documentElement.scrollWidth,
    ClientWidth: document.documentElement.clientWidth, Widest: widest, Checked: checked, Problems: problems});
})()`
