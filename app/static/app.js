// Progressive enhancement of the page: drawing, and uploads answered without a page reload.
// Without JavaScript the upload form posts to "/" and the server renders the same result.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  const form = $("upload-form"), fileInput = $("file"), drop = $("drop");
  const apiKey = $("api_key");
  let drawing = false, last = null;

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

  function showError(message) {
    $("result").hidden = false;
    $("answer").hidden = true;
    $("not-digit").hidden = true;
    $("error").hidden = false;
    $("error").textContent = message;
  }

  // An image that holds no digit is said so, its best guess shown faintly beneath.
  function showPrediction(p, notADigit = false) {
    $("result").hidden = false;
    $("error").hidden = true;
    $("answer").hidden = false;
    $("not-digit").hidden = !notADigit;
    $("answer").classList.toggle("faint", notADigit);
    $("caption").textContent = notADigit ? "Best guess" : "It looks like";
    $("prediction").textContent = String(p.digit);
    $("confidence").textContent = (p.confidence * 100).toFixed(1) + "%";
    $("seen").src = p.input_image || "";
    $("bars").querySelectorAll("li").forEach((li, digit) => {
      const pct = p.probabilities[digit] * 100;
      li.classList.toggle("top", digit === p.digit);
      li.querySelector(".bar span").style.width = pct.toFixed(1) + "%";
      li.querySelector(".bar-value").textContent = pct.toFixed(1) + "%";
    });
  }

  async function predict(blob, name) {
    const body = new FormData();
    body.append("file", blob, name);
    const headers = apiKey && apiKey.value ? { "X-API-Key": apiKey.value } : {};
    try {
      const response = await fetch("/predict?include_input=true", { method: "POST", body, headers });
      const answer = await response.json().catch(() => null);
      if (response.status === 422 && answer && answer.error.code === "not_a_digit") {
        showPrediction(answer.prediction, true);
        return;
      }
      if (!response.ok) {
        showError(answer && answer.error ? answer.error.message : `The service answered ${response.status}.`);
        return;
      }
      showPrediction(answer);
    } catch (err) {
      showError("The service could not be reached: " + err.message);
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
