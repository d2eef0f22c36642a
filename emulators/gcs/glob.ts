/** `matchGlob` subset: `**`, `*`, `?`, `[...]`, `{a,b}`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*' && glob[i + 2] === '/' && (i === 0 || glob[i - 1] === '/')) {
        // `**/` is any number of whole directories, none included: `a/**/b` matches `a/b`
        re += '(?:.*/)?';
        i += 2;
      } else if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = glob.indexOf(']', i);
      re += j > i ? glob.slice(i, j + 1) : '\\[';
      if (j > i) i = j;
    } else if (c === '{') {
      const j = glob.indexOf('}', i);
      if (j > i) {
        re += `(?:${glob.slice(i + 1, j).split(',').map(escapeRe).join('|')})`;
        i = j;
      } else re += '\\{';
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
