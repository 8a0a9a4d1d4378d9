// Text and code previews: the bytes are fetched (served sandboxed, never as a page) and coloured by highlight.js.
(function () {
  'use strict';
  var pre = document.getElementById('text-preview');
  if (!pre) return;
  var code = pre.querySelector('code');
  fetch(pre.getAttribute('data-src'))
    .then(function (res) {
      if (!res.ok) throw new Error('The file could not be read (' + res.status + '); download it instead.');
      return res.text();
    })
    .then(function (text) {
      // textContent, never innerHTML: the file's own markup is shown, not run.
      code.textContent = text;
      var language = pre.getAttribute('data-language');
      if (window.hljs && language && language !== 'plaintext' && window.hljs.getLanguage(language)) {
        code.className = 'language-' + language;
        window.hljs.highlightElement(code);
      }
    })
    .catch(function (err) {
      code.textContent = err.message;
    });
})();
