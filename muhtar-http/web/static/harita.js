/* The map page (/harita): draws the GeoJSON layers of the page's data-* URLs with Leaflet
   (vendored, static/vendor/leaflet) and clusters the requests with Leaflet.markercluster.
   Everything the page says works without this script: the layers are links to GeoJSON
   files under the map. No inline script or style (the page's Content-Security-Policy):
   popups are DOM nodes with text, never HTML built from data. */
(function () {
  'use strict';
  var el = document.getElementById('harita');
  var status = document.getElementById('harita-durum');
  if (!el || !window.L) { return; }
  el.classList.add('map-live');
  var d = el.dataset;
  var map = L.map(el, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (d.tiles) {
    L.tileLayer(d.tiles, { attribution: d.attribution || '', maxZoom: 19, subdomains: 'abc' }).addTo(map);
  }
  map.setView([39.0, 35.0], 6);

  function say(text) { if (status) { status.textContent = text; } }

  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text) { n.textContent = text; }
    if (cls) { n.className = cls; }
    return n;
  }

  function popup(title, href, lines) {
    var box = node('div', null, 'map-popup');
    var h = node('p', null, 'map-popup-title');
    if (href) {
      var a = node('a', title);
      a.href = href;
      h.appendChild(a);
    } else {
      h.textContent = title;
    }
    box.appendChild(h);
    lines.forEach(function (l) { if (l) { box.appendChild(node('p', l)); } });
    return box;
  }

  /* `2026-03-14T10:00:00+03:00` (Istanbul, as the layers write it) as `2026-03-14 10:00`. */
  function when(t) { return t ? String(t).slice(0, 16).replace('T', ' ') : ''; }

  function load(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      });
  }

  var bounds = L.latLngBounds([]);
  var overlays = {};
  var order = ['Mahalle sınırları', 'Talepler', 'Çalışmalar'];
  var problems = [];

  var areas = load(d.areas).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function (f) {
        var overdue = f.properties && f.properties.overdue > 0;
        return { color: overdue ? '#d4351c' : '#1d70b8', weight: 2, fillOpacity: 0.06, className: 'map-area' };
      },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        l.bindPopup(popup(p.name || p.code, null, [
          'Açık talep: ' + (p.open || 0),
          'Süresi geçmiş: ' + (p.overdue || 0)
        ]));
      }
    }).addTo(map);
    overlays['Mahalle sınırları'] = layer;
    if (layer.getLayers().length) { bounds.extend(layer.getBounds()); }
    return layer.getLayers().length;
  }).catch(function () { problems.push('mahalle sınırları'); return 0; });

  var requests = load(d.requests).then(function (fc) {
    var group = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
    L.geoJSON(fc, {
      pointToLayer: function (f, latlng) {
        var p = f.properties || {};
        return L.circleMarker(latlng, {
          radius: 8, weight: 2, color: '#0b0c0c', className: 'map-request',
          fillColor: p.overdue ? '#d4351c' : (p.ivedi ? '#f47738' : '#1d70b8'),
          fillOpacity: 0.9
        });
      },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        var words = [p.category_name || p.category, p.status_name || p.status, p.unit_name || p.unit];
        if (p.deadline_text) { words.push('Cevap süresi: ' + p.deadline_text); }
        if (p.ivedi) { words.push('İVEDİ'); }
        if (p.overdue) { words.push('Süresi geçti'); }
        l.bindPopup(popup(p.tracking, d.requestLink + encodeURIComponent(p.tracking), words));
      }
    }).eachLayer(function (l) { group.addLayer(l); });
    group.addTo(map);
    overlays['Talepler'] = group;
    if (group.getLayers().length) { bounds.extend(group.getBounds()); }
    return group.getLayers().length;
  }).catch(function () { problems.push('talepler'); return 0; });

  var works = load(d.works).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function () { return { color: '#4c2c92', weight: 4, dashArray: '6 4', fillOpacity: 0.15, className: 'map-work' }; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 9, weight: 3, color: '#4c2c92', fillColor: '#ffffff', fillOpacity: 1, className: 'map-work' });
      },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        l.bindPopup(popup(p.title, d.workLink + encodeURIComponent(p.id), [
          p.kind_name || p.kind, p.unit_name || p.unit,
          when(p.starts_at) + ' – ' + when(p.ends_at), p.status_name || p.status
        ]));
      }
    }).addTo(map);
    overlays['Çalışmalar'] = layer;
    if (layer.getLayers().length) { bounds.extend(layer.getBounds()); }
    return layer.getLayers().length;
  }).catch(function () { problems.push('çalışmalar'); return 0; });

  Promise.all([areas, requests, works]).then(function (n) {
    var shown = {};
    order.forEach(function (k) { if (overlays[k]) { shown[k] = overlays[k]; } });
    L.control.layers(null, shown, { collapsed: false }).addTo(map);
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 }); }
    var text = n[0] + ' mahalle sınırı, ' + n[1] + ' talep, ' + n[2] + ' çalışma gösteriliyor.';
    if (problems.length) { text += ' Yüklenemeyen: ' + problems.join(', ') + '.'; }
    say(text);
    el.dataset.loaded = String(n[1]);
  });
})();
