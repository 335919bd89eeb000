// Storefront demo: mounts <loyalty-wallet> with the token from the URL.
import { takeToken } from './page.js';

const token = takeToken('storefront');
if (token) {
  const el = document.createElement('loyalty-wallet');
  el.setAttribute('token', token);
  document.getElementById('mount').append(el);
} else {
  document.getElementById('missing').hidden = false;
}
