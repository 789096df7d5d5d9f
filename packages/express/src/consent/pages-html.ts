import type { PreferencesView } from '@roster/core';

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** What every page shows at its top: the project's name and logo. */
export interface PageBrand {
  projectName: string;
  logoUrl: string | null;
}

/** Readable from 320 px up, in the light and the dark scheme, with AA contrast. */
const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1a1d21;--muted:#4a5160;--accent:#1d4ed8;--accent-text:#fff;--border:#c9ced6}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b2027;--text:#eef1f5;--muted:#b7bfcc;--accent:#93b4ff;--accent-text:#0b1220;--border:#3a424e}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:.75rem;padding:1.25rem}
header{display:flex;align-items:center;gap:.75rem;margin-bottom:1rem}
header img{max-height:2.5rem;max-width:8rem}
.brand{font-weight:600;margin:0;overflow-wrap:anywhere}
h1{font-size:1.375rem;margin:0 0 .75rem}
p{margin:.5rem 0}
.muted{color:var(--muted)}
fieldset{border:1px solid var(--border);border-radius:.5rem;margin:1rem 0;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:flex;gap:.625rem;align-items:flex-start;padding:.375rem 0;cursor:pointer}
label input{margin-top:.3rem;width:1.125rem;height:1.125rem;flex:none}
.description{display:block;color:var(--muted);font-size:.9375rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
button{font:inherit;padding:.625rem 1.125rem;border-radius:.5rem;border:2px solid var(--accent);cursor:pointer;min-height:2.75rem}
button.primary{background:var(--accent);color:var(--accent-text)}
button.secondary{background:transparent;color:var(--text)}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
a{color:var(--accent)}
.status{min-height:1.5rem;font-weight:600}
`;

/** A whole page: `body` is already-escaped HTML. */
export function page(
  title: string,
  brand: PageBrand | null,
  body: string,
  nonce: string,
  script = '',
): string {
  const header = brand
    ? `<header>${
        brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="" referrerpolicy="no-referrer">` : ''
      }<p class="brand">${escapeHtml(brand.projectName)}</p></header>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}${brand ? ` · ${escapeHtml(brand.projectName)}` : ''}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<div class="card">
${header}
${body}
</div>
</main>
${script ? `<script nonce="${nonce}">${script}</script>` : ''}
</body>
</html>
`;
}

export function confirmPage(brand: PageBrand, nonce: string): string {
  return page(
    'Confirm your subscription',
    brand,
    `<h1>Confirm your subscription</h1>
<p>Press the button to confirm that you want to receive email from ${escapeHtml(brand.projectName)}.</p>
<form method="post">
<div class="actions"><button class="primary" type="submit">Confirm subscription</button></div>
</form>`,
    nonce,
  );
}

export function confirmedPage(brand: PageBrand, nonce: string): string {
  return page(
    'Subscription confirmed',
    brand,
    `<h1>Subscription confirmed</h1>
<p>Thank you: you will receive email from ${escapeHtml(brand.projectName)}.</p>`,
    nonce,
  );
}

export function unsubscribePage(brand: PageBrand, preferencesHref: string, nonce: string): string {
  return page(
    'Unsubscribe',
    brand,
    `<h1>Unsubscribe</h1>
<p>Press the button to stop receiving these emails from ${escapeHtml(brand.projectName)}.</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<div class="actions"><button class="primary" type="submit">Unsubscribe</button></div>
</form>
<p><a href="${escapeHtml(preferencesHref)}">Choose which emails you receive instead</a></p>`,
    nonce,
  );
}

export function unsubscribedPage(brand: PageBrand, preferencesHref: string, nonce: string): string {
  return page(
    'Unsubscribed',
    brand,
    `<h1>You are unsubscribed</h1>
<p>You will no longer receive these emails from ${escapeHtml(brand.projectName)}.</p>
<p><a href="${escapeHtml(preferencesHref)}">Manage your email preferences</a></p>`,
    nonce,
  );
}

/** Saves without a reload when scripts run; the form posts as usual when they do not. */
const PREFERENCES_SCRIPT = `
(function(){
  var form=document.getElementById('preferences');
  var status=document.getElementById('status');
  if(!form||!window.fetch||!window.URLSearchParams||!window.FormData)return;
  form.addEventListener('submit',function(event){
    event.preventDefault();
    var data=new FormData(form);
    if(event.submitter&&event.submitter.name)data.append(event.submitter.name,event.submitter.value);
    status.textContent='Saving…';
    fetch(form.getAttribute('action'),{method:'POST',headers:{'accept':'application/json'},body:new URLSearchParams(data)})
      .then(function(res){return res.json().then(function(body){return {ok:res.ok,body:body};});})
      .then(function(r){
        if(!r.ok){status.textContent=r.body&&r.body.message?r.body.message:'Your preferences could not be saved.';return;}
        var view=r.body.preferences;
        form.querySelector('input[name="subscribed"]').checked=view.subscribed;
        view.topics.forEach(function(t){var box=form.querySelector('input[name="topic"][value="'+t.id+'"]');if(box)box.checked=t.subscribed;});
        status.textContent=view.subscribed?'Your preferences are saved.':'You are unsubscribed from everything.';
      })
      .catch(function(){status.textContent='Your preferences could not be saved: try again.';});
  });
})();
`;

export function preferencesPage(
  view: PreferencesView,
  action: string,
  status: string,
  nonce: string,
): string {
  const topics = view.topics
    .map(
      (topic) => `<input type="hidden" name="shown" value="${escapeHtml(topic.id)}">
<label><input type="checkbox" name="topic" value="${escapeHtml(topic.id)}"${topic.subscribed ? ' checked' : ''}><span>${escapeHtml(topic.name)}${
        topic.description ? `<span class="description">${escapeHtml(topic.description)}</span>` : ''
      }</span></label>`,
    )
    .join('\n');
  return page(
    'Email preferences',
    view,
    `<h1>Email preferences</h1>
<p class="muted">For ${escapeHtml(view.maskedEmail)}</p>
<form id="preferences" method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(view.token)}">
<fieldset>
<legend>All email</legend>
<label><input type="checkbox" name="subscribed" value="1"${view.subscribed ? ' checked' : ''}><span>Receive email from ${escapeHtml(view.projectName)}</span></label>
</fieldset>
${view.topics.length > 0 ? `<fieldset>\n<legend>Topics</legend>\n${topics}\n</fieldset>` : ''}
<p id="status" class="status" role="status" aria-live="polite">${escapeHtml(status)}</p>
<div class="actions">
<button class="primary" type="submit" name="action" value="save">Save preferences</button>
<button class="secondary" type="submit" name="action" value="unsubscribe_all">Unsubscribe from everything</button>
</div>
</form>`,
    nonce,
    PREFERENCES_SCRIPT,
  );
}

export function messagePage(title: string, message: string, brand: PageBrand | null, nonce: string): string {
  return page(title, brand, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`, nonce);
}
