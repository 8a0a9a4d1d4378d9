// Copies the text of the field named by a button's data-copy attribute; the page works without it.
document.addEventListener('click', function (event) {
  var button = event.target.closest ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  var field = document.getElementById(button.getAttribute('data-copy'));
  if (!field) return;
  field.select();
  var done = function () {
    var label = button.textContent;
    button.textContent = 'Copied';
    setTimeout(function () {
      button.textContent = label;
    }, 1500);
  };
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(field.value).then(done, function () {});
  else if (document.execCommand('copy')) done();
});
