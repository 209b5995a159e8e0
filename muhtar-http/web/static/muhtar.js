// muhtar: the progressive script of the web pages. Every form works without it; it only
// adds what a browser can do better (a photo's preview, "use my location").
"use strict";

// The new request form (/talep/yeni): a preview of the photo chosen (or just taken), and
// "Konumumu kullan" filling Enlem and Boylam from the browser's location. Without this
// script the photo is sent all the same and the coordinates may be typed.
(function () {
  var photo = document.getElementById("photo");
  var preview = document.getElementById("photo-onizleme");
  if (photo && preview && window.URL && URL.createObjectURL) {
    var shown = null;
    photo.addEventListener("change", function () {
      if (shown) {
        URL.revokeObjectURL(shown);
        shown = null;
      }
      var file = photo.files && photo.files[0];
      if (file && /^image\//.test(file.type)) {
        shown = URL.createObjectURL(file);
        preview.src = shown;
        preview.hidden = false;
      } else {
        preview.removeAttribute("src");
        preview.hidden = true;
      }
    });
  }

  var button = document.getElementById("konum-kullan");
  var status = document.getElementById("konum-durum");
  var lat = document.getElementById("location.lat");
  var lon = document.getElementById("location.lon");
  if (button && status && lat && lon && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "Konumunuz alınıyor…";
      navigator.geolocation.getCurrentPosition(
        function (p) {
          lat.value = p.coords.latitude.toFixed(6);
          lon.value = p.coords.longitude.toFixed(6);
          status.textContent =
            "Konumunuz yazıldı (yaklaşık " + Math.round(p.coords.accuracy) +
            " m doğrulukla): Enlem " + lat.value + ", Boylam " + lon.value + ".";
          button.disabled = false;
        },
        function (e) {
          status.textContent =
            (e.code === 1
              ? "Konum izni verilmedi."
              : "Konumunuz şu anda alınamadı.") +
            " Enlem ve Boylam'ı kendiniz yazabilir ya da boş bırakabilirsiniz.";
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
})();
