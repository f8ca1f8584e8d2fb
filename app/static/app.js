// Progressive enhancement of the page: drawing, and uploads answered without a page reload.
// Without JavaScript the upload form posts to "/" and the server renders the same result.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  const form = $("upload-form"), fileInput = $("file"), drop = $("drop");
  const apiKey = $("api_key");
  const NUMBER_WIDTH = 840;  // the number mode's canvas: room for several digits side by side
  let drawing = false, last = null, mode = "digit", reading = null, source = null;
  let answered = null;  // the image last answered and how it was read, for a correction
  let latest = 0;  // the newest image sent: an answer to an older one, arriving late, is dropped

  document.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });

  function resetCanvas() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height),
    };
  }

  function stroke(to) {
    ctx.strokeStyle = "#000";
    ctx.lineWidth = Number($("stroke").value);
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(to.x + 0.01, to.y);
    ctx.stroke();
    last = to;
  }

  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    stroke(last);
  });
  canvas.addEventListener("pointermove", (event) => { if (drawing) stroke(point(event)); });
  const predictDrawing = () => canvas.toBlob((blob) => predict(blob, "drawing.png"), "image/png");

  // Number mode: a wider canvas, answers from /read, each digit's box drawn over the picture.
  function setMode(next) {
    mode = next;
    canvas.width = mode === "number" ? NUMBER_WIDTH : 280;
    canvas.classList.toggle("wide", mode === "number");
    $("grid").classList.toggle("wide", mode === "number");
    $("draw-title").textContent = mode === "number" ? "Write a number" : "Draw a digit";
    $("draw-hint").textContent = mode === "number"
      ? "Write several digits side by side. They are read as soon as you lift."
      : "Draw one digit, 0 to 9, with your mouse, pen or finger. It is read as soon as you lift.";
    $("form-mode").value = mode;
    resetCanvas();
    hide();
  }
  $("mode-digit").addEventListener("change", () => setMode("digit"));
  $("mode-number").addEventListener("change", () => setMode("number"));
  const endStroke = () => {
    if (!drawing) return;
    drawing = false;
    predictDrawing();
  };
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  $("clear").addEventListener("click", () => { resetCanvas(); hide(); });
  $("recognise").addEventListener("click", predictDrawing);

  function hide() {
    $("result").hidden = true;
  }

  // "Wrong? It is ...": the image is sent again with the right label; only then is it stored.
  function offerCorrection(blob, asNumber) {
    answered = { blob, asNumber };
    $("correct").hidden = false;
    $("correct-digits").hidden = asNumber;
    $("correct-number").hidden = !asNumber;
    $("correct-text").value = "";
    $("correct-thanks").hidden = true;
  }

  async function sendCorrection(label) {
    if (!answered || !label) return;
    const body = new FormData();
    body.append("file", answered.blob, "corrected.png");
    body.append("label", label);
    const headers = apiKey && apiKey.value ? { "X-API-Key": apiKey.value } : {};
    const thanks = $("correct-thanks");
    thanks.hidden = false;
    try {
      const response = await fetch("/corrections", { method: "POST", body, headers });
      const sent = await response.json().catch(() => null);
      thanks.classList.toggle("error", !response.ok);
      thanks.textContent = response.ok
        ? `Thank you: stored as ${label === "not_a_digit" ? "not a digit" : label} (correction ${sent.id.slice(0, 8)}).`
        : (sent && sent.error ? sent.error.message : `The service answered ${response.status}.`);
    } catch (err) {
      thanks.classList.add("error");
      thanks.textContent = "The service could not be reached: " + err.message;
    }
  }

  $("correct-digits").addEventListener("click", (event) => {
    const chip = event.target.closest(".chip");
    if (chip) sendCorrection(chip.dataset.label);
  });
  $("correct-send").addEventListener("click", () => sendCorrection($("correct-text").value.trim()));
  $("correct-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter") sendCorrection($("correct-text").value.trim());
  });

  function showError(message) {
    $("result").hidden = false;
    $("answer").hidden = true;
    $("not-digit").hidden = true;
    $("error").hidden = false;
    $("error").textContent = message;
  }

  // An image that holds no digit is said so, its best guess shown faintly beneath.
  function showAnswer(notADigit, message, isNumber, answer) {
    $("result").hidden = false;
    $("answered-by").textContent = `Answered by ${answer.model}, version ${answer.model_version}`;
    $("error").hidden = true;
    $("answer").hidden = false;
    $("not-digit").hidden = !notADigit;
    $("not-digit").textContent = message || "That does not look like a digit";
    $("answer").classList.toggle("faint", notADigit);
    $("answer").classList.toggle("reading", isNumber);
    $("digit-box").hidden = $("seen-figure").hidden = isNumber;
    $("number").hidden = !isNumber;
  }

  function showBars(p) {
    $("bars").querySelectorAll("li").forEach((li, digit) => {
      const pct = p.probabilities[digit] * 100;
      li.classList.toggle("top", digit === p.digit);
      li.querySelector(".bar span").style.width = pct.toFixed(1) + "%";
      li.querySelector(".bar-value").textContent = pct.toFixed(1) + "%";
    });
  }

  // An image that holds no digit is said so, its best guess shown faintly beneath.
  function showPrediction(p, notADigit = false, message = null) {
    showAnswer(notADigit, message, false, p);
    $("caption").textContent = notADigit ? "Best guess" : "It looks like";
    $("prediction").textContent = String(p.digit);
    $("confidence").textContent = (p.confidence * 100).toFixed(1) + "%";
    $("seen").src = p.input_image || "";
    showBars(p);
  }

  function showReading(r, message = null) {
    reading = r;
    showAnswer(Boolean(message), message, true, r);
    $("number-text").textContent = r.text;
    $("number-confidence").textContent = (r.confidence * 100).toFixed(1) + "%";
    const list = $("number-digits");
    list.replaceChildren(...r.digits.map((d, i) => {
      const item = document.createElement("li");
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip" + (d.is_digit === false ? " stranger" : "");
      chip.dataset.index = String(i);
      chip.innerHTML = `${d.digit} <small>${Math.round(d.confidence * 100)}%</small>`;
      item.append(chip);
      return item;
    }));
    select(0);
  }

  // The picture read, each digit's box over it; the chosen digit's box stands out.
  function drawBoxes(chosen) {
    const view = $("number-view");
    view.hidden = !source;
    if (!source || !reading) return;
    const scale = Math.min(view.width / source.width, view.height / source.height);
    const vctx = view.getContext("2d");
    vctx.fillStyle = "#fff";
    vctx.fillRect(0, 0, view.width, view.height);
    vctx.drawImage(source, 0, 0, source.width * scale, source.height * scale);
    reading.digits.forEach((d, i) => {
      const [x, y, w, h] = d.box.map((v) => v * scale);
      vctx.lineWidth = i === chosen ? 4 : 2;
      vctx.strokeStyle = d.is_digit === false ? "#b91c1c" : (i === chosen ? "#1d4ed8" : "#93c5fd");
      vctx.strokeRect(x, y, w, h);
      vctx.fillStyle = vctx.strokeStyle;
      vctx.font = "bold 16px system-ui";
      vctx.fillText(String(d.digit), x + 2, Math.max(14, y - 4));
    });
    // the separators too, greyed; a mark it could not tell ("?") in red
    (reading.separators || []).filter((s) => s.box).forEach((s) => {
      const [x, y, w, h] = s.box.map((v) => v * scale);
      vctx.lineWidth = 2;
      vctx.strokeStyle = vctx.fillStyle = s.char === "?" ? "#b91c1c" : "#6b7280";
      vctx.strokeRect(x, y, w, h);
      vctx.font = "bold 16px system-ui";
      vctx.fillText(s.char, x + 2, Math.max(14, y - 4));
    });
    view.dataset.scale = String(scale);
  }

  function select(index) {
    if (!reading || !reading.digits.length) return;
    $("number-digits").querySelectorAll(".chip").forEach((chip, i) => {
      chip.classList.toggle("chosen", i === index);
    });
    showBars(reading.digits[index]);
    drawBoxes(index);
  }

  $("number-digits").addEventListener("mouseover", (event) => {
    const chip = event.target.closest(".chip");
    if (chip) select(Number(chip.dataset.index));
  });
  $("number-digits").addEventListener("click", (event) => {
    const chip = event.target.closest(".chip");
    if (chip) select(Number(chip.dataset.index));
  });
  $("number-view").addEventListener("pointermove", (event) => {
    if (!reading) return;
    const view = $("number-view"), box = view.getBoundingClientRect();
    const scale = Number(view.dataset.scale || 1);
    const x = (event.clientX - box.left) * (view.width / box.width) / scale;
    const y = (event.clientY - box.top) * (view.height / box.height) / scale;
    const index = reading.digits.findIndex((d) => {
      const [bx, by, bw, bh] = d.box;
      return x >= bx && x <= bx + bw && y >= by && y <= by + bh;
    });
    if (index >= 0) select(index);
  });

  // A number sent as one digit: one click shows it read as the number it is.
  let offered = null;
  function offerNumber(blob, numberReading) {
    offered = { blob, numberReading };
    $("as-number-offer").hidden = false;
  }
  $("as-number").addEventListener("click", async () => {
    if (!offered) return;
    await remember(offered.blob);
    $("as-number-offer").hidden = true;
    showReading(offered.numberReading);
    offerCorrection(offered.blob, true);
  });

  async function remember(blob) {
    source = await createImageBitmap(blob).catch(() => null);
  }

  async function predict(blob, name) {
    const body = new FormData();
    body.append("file", blob, name);
    const headers = apiKey && apiKey.value ? { "X-API-Key": apiKey.value } : {};
    const url = mode === "number" ? "/read" : "/predict?include_input=true";
    const ticket = ++latest;
    try {
      const response = await fetch(url, { method: "POST", body, headers });
      const answer = await response.json().catch(() => null);
      if (ticket !== latest) return;  // a newer image was sent meanwhile: its answer shows
      if (mode === "number") await remember(blob);
      $("as-number-offer").hidden = true;
      $("correct").hidden = true;
      if (response.status === 422 && answer && answer.error.code === "several_digits") {
        showPrediction(answer.prediction, true, answer.error.message);
        offerNumber(blob, answer.reading);
        offerCorrection(blob, false);
        return;
      }
      if (response.status === 422 && answer && answer.error.code === "not_a_digit") {
        if (mode === "number") showReading(answer.prediction, answer.error.message);
        else showPrediction(answer.prediction, true);
        offerCorrection(blob, mode === "number");
        return;
      }
      if (response.ok && mode === "number") {
        showReading(answer);
        offerCorrection(blob, true);
        return;
      }
      if (!response.ok) {
        showError(answer && answer.error ? answer.error.message : `The service answered ${response.status}.`);
        return;
      }
      showPrediction(answer);
      offerCorrection(blob, false);
    } catch (err) {
      if (ticket === latest) showError("The service could not be reached: " + err.message);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (fileInput.files.length) predict(fileInput.files[0], fileInput.files[0].name);
  });
  fileInput.addEventListener("change", () => {
    if (fileInput.files.length) predict(fileInput.files[0], fileInput.files[0].name);
  });
  ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => drop.addEventListener(type, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (file) predict(file, file.name);
  });

  resetCanvas();
})();
