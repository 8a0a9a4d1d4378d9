// The files page: row menus, the New folder / Rename / Move / Share / Delete dialogs, and selecting several rows.
// The forms themselves are plain POSTs; this only opens them with the right paths filled in.
(function () {
  'use strict';
  var page = document.getElementById('file-page');
  if (!page) return;
  var dir = page.getAttribute('data-dir') || '';
  var restorable = page.getAttribute('data-restorable') === '1';

  function rowOf(el) {
    return el.closest('tr[data-path]');
  }
  function quoted(name) {
    return '\u201c' + name + '\u201d';
  }

  // Row menus (a button that shows a panel): one open at a time; Escape or a click elsewhere closes it, arrows move
  // between its items. Listeners sit on the document, so rows read again after an upload behave the same.
  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll('.row-menu .menu-button[aria-expanded=true]'));
  }
  function setMenu(button, open) {
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    button.nextElementSibling.hidden = !open;
  }
  function closeMenus(except) {
    openMenus().forEach(function (button) {
      if (button !== except) setMenu(button, false);
    });
  }
  function menuItems(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('.menu-panel a, .menu-panel button'));
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest('.menu-button');
    // A click on a menu item closes the menu once its dialog has taken note of where to return focus.
    if (!button && event.target.closest('.menu-panel')) return setTimeout(closeMenus);
    closeMenus(button);
    if (!button) return;
    var open = button.getAttribute('aria-expanded') !== 'true';
    setMenu(button, open);
    if (open) menuItems(button.parentNode)[0].focus();
  });
  document.addEventListener('keydown', function (event) {
    var menu = event.target.closest && event.target.closest('.row-menu');
    if (!menu) return;
    var button = menu.querySelector('.menu-button');
    if (button.getAttribute('aria-expanded') !== 'true') return;
    var items = menuItems(menu);
    var at = items.indexOf(document.activeElement);
    if (event.key === 'Escape') {
      setMenu(button, false);
      button.focus();
      event.preventDefault();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      var next = event.key === 'ArrowDown' ? (at + 1) % items.length : (at - 1 + items.length) % items.length;
      items[next].focus();
      event.preventDefault();
    } else if (event.key === 'Tab' && ((!event.shiftKey && at === items.length - 1) || (event.shiftKey && at <= 0))) {
      setMenu(button, false);
    }
  });

  // Dialogs.
  var opener = null;
  function openDialog(id, focusSelector) {
    var dialog = document.getElementById(id);
    var menu = document.activeElement && document.activeElement.closest && document.activeElement.closest('.row-menu');
    opener = menu ? menu.querySelector('.menu-button') : document.activeElement;
    closeMenus();
    dialog.showModal();
    var focus = focusSelector ? dialog.querySelector(focusSelector) : null;
    if (focus) {
      focus.focus();
      if (focus.select) focus.select();
    }
    return dialog;
  }
  document.querySelectorAll('dialog').forEach(function (dialog) {
    dialog.addEventListener('close', function () {
      if (opener && document.contains(opener)) opener.focus();
    });
    dialog.addEventListener('click', function (event) {
      if (event.target === dialog) dialog.close();
    });
  });
  document.addEventListener('click', function (event) {
    var close = event.target.closest('[data-close]');
    if (close) close.closest('dialog').close();
  });

  function setPaths(dialog, paths) {
    var holder = dialog.querySelector('.dialog-paths');
    holder.textContent = '';
    paths.forEach(function (p) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'path';
      input.value = p;
      holder.appendChild(input);
    });
  }

  function describe(rows) {
    if (rows.length === 1) return quoted(rows[0].getAttribute('data-name'));
    return rows.length + ' items';
  }

  function openMove(rows) {
    var dialog = openDialog('dialog-move', 'select');
    setPaths(
      dialog,
      rows.map(function (r) {
        return r.getAttribute('data-path');
      }),
    );
    dialog.querySelector('h2').textContent = 'Move ' + describe(rows);
    // A folder cannot go into itself or below itself.
    var folders = rows
      .filter(function (r) {
        return r.getAttribute('data-kind') === 'folder';
      })
      .map(function (r) {
        return r.getAttribute('data-path');
      });
    var select = dialog.querySelector('select');
    Array.prototype.forEach.call(select.options, function (option) {
      option.disabled = folders.some(function (f) {
        return option.value === f || option.value.indexOf(f + '/') === 0;
      });
    });
  }

  function openDelete(rows) {
    var dialog = openDialog('dialog-delete', '.dialog-actions .secondary');
    setPaths(
      dialog,
      rows.map(function (r) {
        return r.getAttribute('data-path');
      }),
    );
    dialog.querySelector('h2').textContent = 'Delete ' + describe(rows) + '?';
    var folderCount = rows.filter(function (r) {
      return r.getAttribute('data-kind') === 'folder';
    }).length;
    var text =
      (rows.length === 1 ? 'It' : 'They') + (folderCount ? ', with everything inside,' : '') + ' will be removed from every synced device.';
    text += restorable
      ? ' You can restore ' + (rows.length === 1 ? 'it' : 'them') + ' from Deleted files.'
      : ' This cannot be undone from the website.';
    dialog.querySelector('#delete-text').textContent = text;
  }

  function selectedRows() {
    return Array.prototype.slice.call(document.querySelectorAll('tr[data-path] input[type=checkbox]:checked')).map(rowOf);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-action]');
    if (!button) return;
    var action = button.getAttribute('data-action');
    var row = rowOf(button);
    if (action === 'new-folder') {
      openDialog('dialog-new-folder', 'input[name=name]');
    } else if (action === 'rename') {
      var dialog = openDialog('dialog-rename');
      var name = row.getAttribute('data-name');
      dialog.querySelector('input[name=path]').value = row.getAttribute('data-path');
      dialog.querySelector('h2').textContent = 'Rename ' + quoted(name);
      var field = dialog.querySelector('input[name=name]');
      field.value = name;
      field.focus();
      // Select the name without its extension, as file managers do.
      var dot = row.getAttribute('data-kind') === 'file' ? name.lastIndexOf('.') : -1;
      field.setSelectionRange(0, dot > 0 ? dot : name.length);
    } else if (action === 'move') {
      openMove([row]);
    } else if (action === 'delete') {
      openDelete([row]);
    } else if (action === 'share') {
      var share = openDialog('dialog-share', 'select');
      share.querySelector('input[name=path]').value = row.getAttribute('data-path');
      share.querySelector('h2').textContent = 'Share ' + quoted(row.getAttribute('data-name'));
    } else if (action === 'move-selected') {
      if (selectedRows().length) openMove(selectedRows());
    } else if (action === 'delete-selected') {
      if (selectedRows().length) openDelete(selectedRows());
    }
  });

  // Selection.
  var bar = document.getElementById('selection-bar');
  var countText = document.getElementById('selection-count');
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('tr[data-path] input[type=checkbox]'));
  }
  function updateSelection() {
    var all = document.getElementById('select-all');
    var n = selectedRows().length;
    var total = boxes().length;
    bar.hidden = n === 0;
    countText.textContent = n === 0 ? '' : n + (n === 1 ? ' item selected' : ' items selected');
    if (all) {
      all.checked = n > 0 && n === total;
      all.indeterminate = n > 0 && n < total;
    }
    boxes().forEach(function (box) {
      rowOf(box).classList.toggle('selected', box.checked);
    });
  }
  document.addEventListener('change', function (event) {
    if (event.target.id === 'select-all') {
      boxes().forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.id === 'select-all' || (event.target.matches('input[type=checkbox]') && rowOf(event.target))) updateSelection();
  });
  updateSelection();

  // Reads the page again and swaps in the listing, the counts, the quota and the move destinations.
  function reload() {
    return fetch(location.href, { headers: { Accept: 'text/html' } })
      .then(function (res) {
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        ['#drop-zone', '.summary', '.quota', '#move-to'].forEach(function (selector) {
          var now = document.querySelector(selector);
          var next = fresh.querySelector(selector);
          if (now && next) now.innerHTML = next.innerHTML;
          else if (!now && next && selector === '.summary') document.getElementById('drop-zone').after(document.importNode(next, true));
        });
        updateSelection();
      });
  }
  window.MyDropboxFiles = { dir: dir, reload: reload };
})();
