// Uploads from the files page: choose or drop files and folders; each file is hashed in 4 MiB blocks, only the blocks
// the account lacks are sent (big files into an upload session, small ones many to a request), then committed.
// What was sent is remembered in localStorage, so a reload or a dropped connection resumes instead of starting over.
(function () {
  'use strict';
  var page = document.getElementById('file-page');
  if (!page) return;
  var BLOCK = 4 * 1024 * 1024;
  var BATCH_BYTES = 8 * 1024 * 1024;
  var BATCH_FILES = 200;
  var PARALLEL_BLOCKS = 3;
  var STATE_KEY = 'mydropbox.uploads';
  var csrf = page.getAttribute('data-csrf');
  var section = document.getElementById('uploads');
  var list = document.getElementById('upload-list');
  var statusLine = document.getElementById('uploads-status');

  // ---- talking to the website ----
  function UploadError(message, code) {
    this.message = message;
    this.code = code;
  }
  function call(method, url, body, headers) {
    var init = { method: method, headers: Object.assign({ Accept: 'application/json', 'X-CSRF-Token': csrf }, headers || {}) };
    if (body !== undefined) {
      if (body instanceof Blob) {
        init.body = body;
        init.headers['Content-Type'] = 'application/octet-stream';
      } else {
        init.body = JSON.stringify(body);
        init.headers['Content-Type'] = 'application/json';
      }
    }
    return fetch(url, init).then(
      function (res) {
        if (res.status === 204) return null;
        return res
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            if (res.ok) return data;
            var e = data && data.error;
            if (res.status === 403 && !e) e = { code: 'forbidden', message: 'This page has expired. Reload it and the upload goes on.' };
            throw new UploadError(
              (e && e.message) || 'The server answered ' + res.status + '; the upload will be tried again.',
              (e && e.code) || (res.status >= 500 ? 'server_unavailable' : 'invalid_request'),
            );
          });
      },
      function () {
        throw new UploadError('The connection was lost.', 'offline');
      },
    );
  }
  // Lost connections and busy servers are waited out (the page says so); anything else is for the person to read.
  function retrying(item, work) {
    var delay = 1000;
    function attempt() {
      return work().catch(function (err) {
        var transient = err.code === 'offline' || err.code === 'server_unavailable' || err.code === 'rate_limited';
        if (!transient || (item && item.cancelled)) throw err;
        var wait = err.message + ' Trying again in ' + Math.round(delay / 1000) + ' s…';
        if (item) setStatus(item, wait);
        else statusLine.textContent = wait;
        return new Promise(function (resolve) {
          var timer = setTimeout(resolve, delay);
          window.addEventListener(
            'online',
            function () {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        }).then(function () {
          delay = Math.min(delay * 2, 30000);
          return attempt();
        });
      });
    }
    return attempt();
  }

  // ---- hashing ----
  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = '';
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return out;
  }
  // WebCrypto where the page is a secure context (https, localhost); else the js-sha256 library.
  function sha256(buffer) {
    if (window.crypto && window.crypto.subtle) return window.crypto.subtle.digest('SHA-256', buffer).then(hex);
    return Promise.resolve(window.sha256(buffer));
  }
  function blockCount(size) {
    return size === 0 ? 0 : Math.ceil(size / BLOCK);
  }
  function hashFile(item) {
    var file = item.file;
    var n = blockCount(file.size);
    var hashes = new Array(n);
    var i = 0;
    function next() {
      if (i >= n) return Promise.resolve(hashes);
      var at = i++;
      return file
        .slice(at * BLOCK, Math.min(file.size, (at + 1) * BLOCK))
        .arrayBuffer()
        .then(sha256)
        .then(function (h) {
          hashes[at] = h;
          if (n > 1) setStatus(item, 'Checking… ' + Math.floor(((at + 1) / n) * 100) + '%');
          return next();
        });
    }
    return next();
  }

  // ---- remembered uploads (for resuming) ----
  function loadStates() {
    try {
      return JSON.parse(localStorage.getItem(STATE_KEY) || '{}') || {};
    } catch (e) {
      return {};
    }
  }
  function saveState(key, state) {
    var all = loadStates();
    if (state) all[key] = state;
    else delete all[key];
    try {
      localStorage.setItem(STATE_KEY, JSON.stringify(all));
    } catch (e) {
      // A full storage only costs the ability to resume.
    }
  }
  function keyOf(path, file) {
    return path + '\n' + file.size + '\n' + file.lastModified;
  }

  // ---- the list on the page ----
  var items = [];
  function formatBytes(n) {
    var units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    var u = 0;
    while (n >= 1000 && u < units.length - 1) {
      n /= 1000;
      u++;
    }
    return (u === 0 ? n : n >= 100 ? Math.round(n) : n.toFixed(1).replace(/\.0$/, '')) + ' ' + units[u];
  }
  function addItem(name, size) {
    section.hidden = false;
    var li = document.createElement('li');
    li.className = 'upload-item';
    var title = document.createElement('span');
    title.className = 'upload-name';
    title.textContent = name;
    var bar = document.createElement('progress');
    bar.max = Math.max(size, 1);
    bar.value = 0;
    bar.setAttribute('aria-label', 'Uploading ' + name);
    var status = document.createElement('span');
    status.className = 'upload-status';
    status.textContent = 'Waiting';
    li.appendChild(title);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    var item = { name: name, size: size, li: li, bar: bar, statusEl: status, done: false };
    items.push(item);
    return item;
  }
  function setStatus(item, text) {
    item.statusEl.textContent = text;
  }
  function setProgress(item, sent) {
    item.bar.value = item.size === 0 ? 1 : sent;
  }
  function finish(item, ok, text) {
    item.done = true;
    item.failed = !ok;
    item.li.classList.add(ok ? 'ok' : 'failed');
    if (ok) setProgress(item, item.size);
    setStatus(item, text);
    if (!ok) item.statusEl.setAttribute('role', 'alert');
  }
  function summarize() {
    var pending = items.filter(function (i) {
      return !i.done;
    }).length;
    var failed = items.filter(function (i) {
      return i.failed;
    }).length;
    var ok = items.length - pending - failed;
    statusLine.textContent = pending
      ? 'Uploading ' + pending + (pending === 1 ? ' file' : ' files') + '…'
      : ok + (ok === 1 ? ' file' : ' files') + ' uploaded' + (failed ? ', ' + failed + ' not uploaded (see below)' : '') + '.';
  }

  // ---- one big file: session upload ----
  function uploadBig(item, rev) {
    var file = item.file;
    var key = keyOf(item.path, file);
    var state = loadStates()[key];
    var blocks;
    return (state && state.blocks ? Promise.resolve(state.blocks) : hashFile(item))
      .then(function (hashes) {
        blocks = hashes;
        return open(state && state.uploadId);
      })
      .then(commit);

    function open(resume) {
      return retrying(item, function () {
        return call('POST', '/files/upload/open', { path: item.path, size: file.size, blocks: blocks, resume: resume });
      }).then(function (answer) {
        var sent = resume && state && state.uploadId === resume ? state.sent || [] : [];
        state = {
          path: item.path,
          name: file.name,
          size: file.size,
          lastModified: file.lastModified,
          blocks: blocks,
          uploadId: answer.uploadId,
          sent: sent,
        };
        saveState(key, state);
        var todo = answer.missing.filter(function (i) {
          return sent.indexOf(i) < 0;
        });
        var skipped = blocks.length - answer.missing.length;
        var done =
          file.size -
          todo.reduce(function (n, i) {
            return n + Math.min(BLOCK, file.size - i * BLOCK);
          }, 0);
        item.baseRev = answer.baseRev === undefined ? rev : answer.baseRev;
        setProgress(item, done);
        if (skipped) item.note = skipped + (skipped === 1 ? ' block was' : ' blocks were') + ' already in your MyDropbox';
        return send(todo, done).catch(function (err) {
          // The session is gone (expired or the server restarted): open a new one and send what it lacks.
          if (err.code === 'not_found' && resume) return open(undefined);
          throw err;
        });
      });
    }

    function send(todo, done) {
      var started = Date.now();
      var sentNow = 0;
      var queue = todo.slice();
      function worker() {
        if (item.cancelled) return Promise.reject(new UploadError('Cancelled.', 'cancelled'));
        var index = queue.shift();
        if (index === undefined) return Promise.resolve();
        var blob = file.slice(index * BLOCK, Math.min(file.size, (index + 1) * BLOCK));
        return retrying(item, function () {
          return call('PUT', '/files/upload/sessions/' + state.uploadId + '/blocks/' + index, blob);
        }).then(function () {
          state.sent.push(index);
          saveState(key, state);
          done += blob.size;
          sentNow += blob.size;
          setProgress(item, done);
          var seconds = (Date.now() - started) / 1000;
          setStatus(item, Math.floor((done / file.size) * 100) + '% · ' + formatBytes(sentNow / Math.max(seconds, 0.001)) + '/s');
          return worker();
        });
      }
      var workers = [];
      for (var w = 0; w < PARALLEL_BLOCKS; w++) workers.push(worker());
      return Promise.all(workers);
    }

    function commit() {
      setStatus(item, 'Saving…');
      return retrying(item, function () {
        return call('POST', '/files/upload/commit', {
          path: item.path,
          size: file.size,
          blocks: blocks,
          baseRev: item.baseRev,
          modifiedAt: file.lastModified,
          uploadId: state.uploadId || undefined,
        });
      })
        .catch(function (err) {
          if (err.code !== 'block_missing') throw err;
          saveState(key, null);
          state = undefined;
          return open(undefined).then(commit);
        })
        .then(function () {
          saveState(key, null);
        });
    }
  }

  // ---- small files: many blocks to a request, many commits to a request ----
  function uploadSmall(batch) {
    var hashes = [];
    var framesNeeded;
    return Promise.all(
      batch.map(function (item) {
        if (item.file.size === 0) return (item.blocks = []);
        return item.file.arrayBuffer().then(function (buffer) {
          item.buffer = buffer;
          return sha256(buffer).then(function (h) {
            item.blocks = [h];
            hashes.push(h);
          });
        });
      }),
    )
      .then(function () {
        if (!hashes.length) return { missing: [] };
        return retrying(batch[0], function () {
          return call('POST', '/files/upload/missing', { hashes: hashes });
        });
      })
      .then(function (answer) {
        var wanted = {};
        answer.missing.forEach(function (h) {
          wanted[h] = true;
        });
        var parts = [];
        batch.forEach(function (item) {
          if (!item.blocks.length || !wanted[item.blocks[0]]) return;
          delete wanted[item.blocks[0]];
          // Frame: the raw SHA-256 (32 bytes), the length (4 bytes, big-endian), the bytes.
          var head = new Uint8Array(36);
          var h = item.blocks[0];
          for (var i = 0; i < 32; i++) head[i] = parseInt(h.substr(i * 2, 2), 16);
          new DataView(head.buffer).setUint32(32, item.buffer.byteLength);
          parts.push(head, item.buffer);
        });
        framesNeeded = parts.length > 0;
        if (!framesNeeded) return null;
        var body = new Blob(parts);
        return retrying(batch[0], function () {
          return call('POST', '/files/upload/blocks', body);
        });
      })
      .then(function () {
        batch.forEach(function (item) {
          item.buffer = undefined;
          setStatus(item, 'Saving…');
        });
        return retrying(batch[0], function () {
          return call('POST', '/files/upload/commit-batch', {
            commits: batch.map(function (item) {
              return { path: item.path, size: item.file.size, blocks: item.blocks, baseRev: item.rev, modifiedAt: item.file.lastModified };
            }),
          });
        });
      })
      .then(function (answer) {
        answer.results.forEach(function (result, i) {
          if (result.error) finish(batch[i], false, result.error.message);
          else finish(batch[i], true, 'Uploaded');
        });
      });
  }

  // ---- the queue ----
  var running = Promise.resolve();
  var uploadedSomething = false;

  function enqueue(entries, folders) {
    if (!entries.length && !(folders && folders.length)) return;
    // A resumed upload names its full path from the top.
    var resumed = entries.length === 1 && entries[0].target !== undefined;
    var dir = resumed ? '' : page.getAttribute('data-dir') || '';
    var batchItems = entries.map(function (e) {
      var item = addItem(e.relPath, e.file.size);
      item.file = e.file;
      item.relPath = e.relPath;
      item.target = e.target;
      return item;
    });
    summarize();
    running = running.then(function () {
      return run(dir, batchItems, folders || []).catch(function (err) {
        batchItems.forEach(function (item) {
          if (!item.done) finish(item, false, err.message || 'The upload stopped.');
        });
      });
    });
    running.then(refresh);
  }

  function run(dir, batchItems, folders) {
    var work = Promise.resolve();
    if (folders.length) {
      work = retrying(batchItems[0], function () {
        return call('POST', '/files/upload/folders', { dir: dir, paths: folders });
      }).then(function () {
        uploadedSomething = true;
      });
    }
    if (!batchItems.length) return work;
    return work
      .then(function () {
        // Names, folders in the way and the quota are checked before any bytes go.
        return retrying(batchItems[0], function () {
          return call('POST', '/files/upload/check', {
            dir: dir,
            files: batchItems.map(function (item) {
              return { path: item.target !== undefined ? item.target : item.relPath, size: item.file.size };
            }),
          });
        });
      })
      .then(function (answer) {
        var ok = [];
        answer.files.forEach(function (result, i) {
          var item = batchItems[i];
          if (result.problem) return finish(item, false, result.problem);
          item.path = result.path;
          item.rev = result.rev;
          ok.push(item);
        });
        summarize();
        return confirmReplace(ok);
      })
      .then(function (ok) {
        var small = ok.filter(function (item) {
          return item.file.size <= BLOCK;
        });
        var big = ok.filter(function (item) {
          return item.file.size > BLOCK;
        });
        var chain = Promise.resolve();
        var batch = [];
        var bytes = 0;
        function flush() {
          var b = batch;
          batch = [];
          bytes = 0;
          chain = chain.then(function () {
            return uploadSmall(b).then(
              function () {
                uploadedSomething = true;
                summarize();
              },
              function (err) {
                b.forEach(function (item) {
                  if (!item.done) finish(item, false, err.message);
                });
                summarize();
              },
            );
          });
        }
        small.forEach(function (item) {
          if (batch.length >= BATCH_FILES || bytes + item.file.size > BATCH_BYTES) flush();
          batch.push(item);
          bytes += item.file.size;
        });
        if (batch.length) flush();
        big.forEach(function (item) {
          chain = chain.then(function () {
            setStatus(item, 'Checking…');
            return uploadBig(item, item.rev).then(
              function () {
                uploadedSomething = true;
                finish(item, true, item.note ? 'Uploaded (' + item.note + ')' : 'Uploaded');
                summarize();
              },
              function (err) {
                finish(item, false, err.message);
                summarize();
              },
            );
          });
        });
        return chain;
      })
      .then(summarize);
  }

  // Replacing a file asks first; the answer covers the whole batch.
  function confirmReplace(ok) {
    var existing = ok.filter(function (item) {
      return item.rev !== null && item.rev !== undefined;
    });
    if (!existing.length) return Promise.resolve(ok);
    var dialog = document.getElementById('dialog-replace');
    var text = dialog.querySelector('p');
    text.textContent =
      existing.length === 1
        ? '\u201c' + existing[0].path + '\u201d already exists. Replace it with the file you chose?'
        : existing.length + ' files already exist here. Replace them with the files you chose?';
    dialog.showModal();
    return new Promise(function (resolve) {
      dialog.addEventListener(
        'close',
        function () {
          if (dialog.returnValue === 'replace') return resolve(ok);
          existing.forEach(function (item) {
            finish(item, false, 'Skipped: a file with this name is already there.');
            item.li.classList.add('skipped');
          });
          resolve(
            ok.filter(function (item) {
              return existing.indexOf(item) < 0;
            }),
          );
        },
        { once: true },
      );
    });
  }

  // After uploads the listing is read again, so new files show without a reload.
  function refresh() {
    if (!uploadedSomething) return;
    uploadedSomething = false;
    if (window.MyDropboxFiles && window.MyDropboxFiles.reload) window.MyDropboxFiles.reload();
  }

  // ---- ways in: buttons, inputs, drag and drop ----
  var filesInput = document.getElementById('upload-files-input');
  var folderInput = document.getElementById('upload-folder-input');
  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-action]');
    if (!button) return;
    var action = button.getAttribute('data-action');
    if (action === 'upload-files') filesInput.click();
    else if (action === 'upload-folder') folderInput.click();
    else if (action === 'clear-uploads') {
      items = items.filter(function (item) {
        if (item.done) item.li.remove();
        return !item.done;
      });
      if (!items.length) section.hidden = true;
      statusLine.textContent = '';
    }
  });
  filesInput.addEventListener('change', function () {
    enqueue(
      Array.prototype.map.call(filesInput.files, function (file) {
        return { file: file, relPath: file.name };
      }),
    );
    filesInput.value = '';
  });
  folderInput.addEventListener('change', function () {
    enqueue(
      Array.prototype.map.call(folderInput.files, function (file) {
        return { file: file, relPath: file.webkitRelativePath || file.name };
      }),
    );
    folderInput.value = '';
  });

  var zone = document.getElementById('drop-zone');
  var depth = 0;
  function hasFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') >= 0;
  }
  zone.addEventListener('dragenter', function (event) {
    if (!hasFiles(event)) return;
    depth++;
    zone.classList.add('dragging');
    event.preventDefault();
  });
  zone.addEventListener('dragover', function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', function () {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  zone.addEventListener('drop', function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    var dt = event.dataTransfer;
    var entries = [];
    if (dt.items && dt.items.length && dt.items[0].webkitGetAsEntry) {
      for (var i = 0; i < dt.items.length; i++) {
        var entry = dt.items[i].webkitGetAsEntry();
        if (entry) entries.push(entry);
      }
      collect(entries).then(function (found) {
        enqueue(found.files, found.folders);
      });
    } else {
      enqueue(
        Array.prototype.map.call(dt.files, function (file) {
          return { file: file, relPath: file.name };
        }),
      );
    }
  });

  // Walks dropped folders (where the browser allows) into files with their paths, and the folders themselves.
  function collect(entries) {
    var files = [];
    var folders = [];
    function visit(entry, prefix) {
      var path = prefix + entry.name;
      if (entry.isFile) {
        return new Promise(function (resolve) {
          entry.file(
            function (file) {
              files.push({ file: file, relPath: path });
              resolve();
            },
            function () {
              resolve();
            },
          );
        });
      }
      folders.push(path);
      var reader = entry.createReader();
      var children = [];
      function readAll() {
        return new Promise(function (resolve) {
          reader.readEntries(
            function (batch) {
              resolve(batch);
            },
            function () {
              resolve([]);
            },
          );
        }).then(function (batch) {
          if (!batch.length) return children;
          children = children.concat(batch);
          return readAll();
        });
      }
      return readAll().then(function (all) {
        return Promise.all(
          all.map(function (child) {
            return visit(child, path + '/');
          }),
        );
      });
    }
    return Promise.all(
      entries.map(function (entry) {
        return visit(entry, '');
      }),
    ).then(function () {
      return { files: files, folders: folders };
    });
  }

  // ---- unfinished uploads from an earlier visit ----
  function showUnfinished() {
    var states = loadStates();
    var keys = Object.keys(states);
    var box = document.getElementById('unfinished-uploads');
    if (!box) return;
    var ul = box.querySelector('ul');
    ul.textContent = '';
    box.hidden = keys.length === 0;
    keys.forEach(function (key) {
      var s = states[key];
      var li = document.createElement('li');
      var sent = (s.sent || []).length;
      var text = document.createElement('span');
      text.textContent = s.path + ' · ' + formatBytes(s.size) + ' · ' + Math.floor((sent / Math.max(s.blocks.length, 1)) * 100) + '% sent';
      var resume = document.createElement('button');
      resume.type = 'button';
      resume.className = 'secondary';
      resume.textContent = 'Resume';
      resume.setAttribute('aria-label', 'Resume ' + s.name);
      var discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'link-button';
      discard.textContent = 'Discard';
      discard.setAttribute('aria-label', 'Discard ' + s.name);
      var picker = document.createElement('input');
      picker.type = 'file';
      picker.hidden = true;
      resume.addEventListener('click', function () {
        picker.click();
      });
      picker.addEventListener('change', function () {
        var file = picker.files[0];
        if (!file) return;
        if (file.name !== s.name || file.size !== s.size || file.lastModified !== s.lastModified) {
          text.textContent = 'That is not the same file: choose \u201c' + s.name + '\u201d (' + formatBytes(s.size) + ') as it was.';
          text.setAttribute('role', 'alert');
          return;
        }
        li.remove();
        box.hidden = !ul.children.length;
        enqueue([{ file: file, relPath: s.name, target: s.path }]);
      });
      discard.addEventListener('click', function () {
        saveState(key, null);
        li.remove();
        box.hidden = !ul.children.length;
      });
      li.appendChild(text);
      li.appendChild(resume);
      li.appendChild(discard);
      li.appendChild(picker);
      ul.appendChild(li);
    });
  }
  showUnfinished();
})();
