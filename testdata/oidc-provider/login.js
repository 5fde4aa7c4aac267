// Password check in front of oidc-provider's devInteractions login page.
//
// The library's development login form accepts any login name. This middleware reads the
// form POSTed to /interaction/:uid first: a login with an unknown user or a wrong password
// gets a 401 page that repeats the form (same field names) with an error, and a good login is
// passed on with the login name replaced by the user's sub, so that the account ID is the sub.
// The body it read is handed to the library as req.body, which the library accepts.
const INTERACTION = /^\/interaction\/[^/]+$/;
const LIMIT = 64 * 1024;

const ENTITIES = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
};

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > LIMIT) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function retryPage(action, login) {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Sign-in</title></head>
<body>
  <h1>Sign-in</h1>
  <p id="login-error" class="error">Invalid login or password.</p>
  <form autocomplete="off" action="${escape(action)}" method="post">
    <input type="hidden" name="prompt" value="login"/>
    <input required type="text" name="login" placeholder="Enter any login" value="${escape(login)}">
    <input required type="password" name="password" placeholder="and password" autofocus="on">
    <button type="submit" class="login login-submit">Sign-in</button>
  </form>
</body>
</html>`;
}

// checkLogin returns koa middleware that verifies devInteractions logins against users.
export function checkLogin(users) {
  return async function checkLoginMiddleware(ctx, next) {
    if (ctx.method !== 'POST' || !INTERACTION.test(ctx.path)
      || !ctx.is('application/x-www-form-urlencoded')) {
      return next();
    }
    const form = new URLSearchParams(await readBody(ctx.req));
    if (form.get('prompt') === 'login') {
      const login = form.get('login') ?? '';
      const user = users.find((u) => u.username === login || u.email === login || u.sub === login);
      if (!user || user.password !== form.get('password')) {
        process.stdout.write(`EVENT login.failed login=${JSON.stringify(login)}\n`);
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = retryPage(ctx.path, login);
        return undefined;
      }
      form.set('login', user.sub);
      process.stdout.write(`EVENT login.success sub=${user.sub}\n`);
    } else if (form.get('prompt') === 'consent') {
      process.stdout.write('EVENT consent.success\n');
    }
    ctx.req.body = form.toString();
    return next();
  };
}
