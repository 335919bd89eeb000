// Storefront demo: mounts <loyalty-wallet> with the token from the URL;
// ?lang=de and ?messages={…} are passed on as the element's attributes.
import { takeToken } from './page.js';

const token = takeToken('storefront');
const params = new URLSearchParams(location.search);
if (token) {
  const el = document.createElement('loyalty-wallet');
  el.setAttribute('token', token);
  for (const name of ['lang', 'messages']) if (params.has(name)) el.setAttribute(name, params.get(name));
  document.getElementById('mount').append(el);
} else {
  document.getElementById('missing').hidden = false;
}
