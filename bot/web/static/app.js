/* Sigap 112 map (Telegram Mini App). Every request carries Telegram's signed initData; every text from the
   server goes in through textContent (report fields are typed by people: never HTML). */
(function () {
  "use strict";
  var POLL_MS = 10000;
  var tg = window.Telegram && window.Telegram.WebApp;
  var initData = (tg && tg.initData) || new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  var lastTag = null, T = {}, P = {}, NAMES = {}, PRIORITY = {}, KEC = {}, map, reportLayer, reports = [], timer = null;
  var RANK_COLOUR = { 1: "#d32f2f", 2: "#f57c00", 3: "#fbc02d", 4: "#388e3c", 9: "#777777" };
  var STATUS_RING = { unanswered: "#000000", answered: "#1976d2", on_scene: "#2e7d32", confirming: "#9e9e9e" };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function get(path, tag) {
    var headers = { Authorization: "tma " + initData };
    if (tag) headers["If-None-Match"] = tag;
    return fetch(path, { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 401 || r.status === 403) { var e = new Error("refused"); e.refused = true; throw e; }
      if (!r.ok && r.status !== 304) throw new Error(String(r.status));
      return r;
    });
  }
  function say(text) { $("status").textContent = text; }

  function fill(select, all, items) {
    select.appendChild(new Option(all, ""));
    items.forEach(function (it) { select.appendChild(new Option(it[1], it[0])); });
    select.addEventListener("change", draw);
  }

  function start(places) {
    T = places.texts; P = places;
    places.agencies.forEach(function (a) { NAMES[a.key] = a.name; });
    places.priorities.forEach(function (p) { PRIORITY[p.key] = p.label; });
    places.kecamatan.forEach(function (k) { KEC[k.key] = k.name; });  // stored key (Baguala) -> shown name
    document.title = T.title;
    $("tab-map").textContent = T.tab_map; $("tab-recap").textContent = T.tab_recap;
    $("recap-today").textContent = T.today; $("recap-month").textContent = T.month;
    fill($("f-category"), T.all_categories, places.categories.map(function (c) { return [c.key, c.label]; }));
    fill($("f-kecamatan"), T.all_kecamatan, places.kecamatan.map(function (k) { return [k.key, k.name]; }));
    fill($("f-agency"), T.all_agencies, places.agencies.map(function (a) { return [a.key, a.name]; }));
    map = L.map("map", { zoomControl: true, zoomSnap: 0.25, attributionControl: !!places.tiles }).setView([-3.68, 128.2], 12);
    if (places.tiles) {
      L.tileLayer(places.tiles, { maxZoom: 18, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    // The gazetteer's points: the map still shows where things are when no tile loads (offline, blocked).
    places.villages.forEach(function (v) {
      L.circleMarker([v.lat, v.lon], { radius: 2, color: "#90a4ae", weight: 1, fillOpacity: 0.8, interactive: false,
        className: "village-point" }).addTo(map);
    });
    places.kecamatan.forEach(function (k) {
      L.marker([k.lat, k.lon], { icon: L.divIcon({ className: "place-label", html: "", iconSize: [120, 16] }),
        interactive: false, keyboard: false }).addTo(map).getElement().textContent = k.name;
    });
    map.fitBounds(places.villages.map(function (v) { return [v.lat, v.lon]; }), { padding: [12, 12] });
    reportLayer = L.layerGroup().addTo(map);
    legend(places);
    document.querySelectorAll(".tab").forEach(function (b) { b.addEventListener("click", function () { tab(b.dataset.tab); }); });
    refresh();
  }

  function legend(places) {
    var box = $("legend");
    function item(cls, text) { var s = el("span"); s.appendChild(el("i", "dot " + cls)); s.appendChild(document.createTextNode(text)); box.appendChild(s); }
    places.priorities.forEach(function (p) { item("plain r" + p.rank, p.label); });
    places.statuses.forEach(function (s) { item("ring s-" + s, T["status." + s]); });
  }

  function refresh() {
    clearTimeout(timer);
    get("api/reports", lastTag).then(function (r) {
      say(T.updated + " " + r.headers.get("X-Updated"));
      if (r.status === 304) return null;
      lastTag = r.headers.get("ETag");
      return r.json();
    }).then(function (data) {
      if (data) { reports = data.reports; draw(); }
    }).catch(function (e) { say(e.refused ? T.refused : T.offline); })
      .then(function () { timer = setTimeout(refresh, POLL_MS); });
  }

  function wanted(r) {
    var c = $("f-category").value, k = $("f-kecamatan").value, a = $("f-agency").value;
    return (!c || r.category === c) && (!k || r.kecamatan === k) &&
      (!a || r.agencies.some(function (g) { return g[0] === a; }));
  }

  function draw() {
    reportLayer.clearLayers();
    var list = $("list");
    list.textContent = "";
    var visible = reports.filter(wanted);
    $("count").textContent = visible.length ? T.open_count.replace("{count}", visible.length) : T.none_open;
    visible.forEach(function (r) {
      if (r.lat !== null) {
        L.circleMarker([r.lat, r.lon], { radius: 10, weight: 4, color: STATUS_RING[r.status], fillColor: RANK_COLOUR[r.rank],
          fillOpacity: 0.9, dashArray: r.approx ? "4 3" : null, className: "report-marker report-" + r.id })
          .on("click", function () { card(r); }).addTo(reportLayer);
      }
      var li = el("li", "report");
      li.dataset.number = r.number;
      li.appendChild(el("span", "dot r" + r.rank + " s-" + r.status));
      var body = el("div");
      body.appendChild(el("b", "", r.number + " · " + r.category_label));
      body.appendChild(el("div", "meta", [PRIORITY[r.priority] || r.priority, T["status." + r.status], place(r), r.age_min + " " + T.age].join(" · ")));
      li.appendChild(body);
      li.addEventListener("click", function () { card(r); });
      list.appendChild(li);
    });
  }

  function place(r) { return r.outside ? T.outside : [r.village, KEC[r.kecamatan] || r.kecamatan].filter(Boolean).join(", "); }

  function card(r) {
    var c = $("card");
    c.textContent = "";
    var close = el("button", "", T.close);
    close.addEventListener("click", function () { c.hidden = true; });
    c.appendChild(close);
    c.appendChild(el("h3", "", r.number));
    c.appendChild(el("div", "", (PRIORITY[r.priority] || r.priority) + " · " + r.category_label + " · " + T["status." + r.status]));
    c.appendChild(el("div", "meta", r.time + " · " + r.age_min + " " + T.age + (r.approx ? " · " + T.approx : "")));
    c.appendChild(el("p", "", place(r) + " — " + r.address));
    c.appendChild(el("p", "", r.description));
    var ul = el("ul");
    r.agencies.forEach(function (a) {
      ul.appendChild(el("li", a[1] === "pending" ? "silent" : "", (NAMES[a[0]] || a[0]) + ": " + (P.steps[a[1]] || a[1])));
    });
    c.appendChild(ul);
    c.hidden = false;
  }

  function tab(name) {
    $("page-map").hidden = name !== "map";
    $("page-recap").hidden = name !== "recap";
    document.querySelectorAll(".tab").forEach(function (b) { b.classList.toggle("active", b.dataset.tab === name); });
    if (name === "recap") ["hari", "bulan"].forEach(chart);
    else map.invalidateSize();
  }

  function chart(which) {
    get("api/chart/" + which + ".png").then(function (r) { return r.blob(); }).then(function (b) {
      var img = $("chart-" + which);
      if (img.src) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(b);
    }).catch(function () { say(T.offline); });
  }

  // Telegram's own script is not loaded (no CDN): tell the client we are ready and may fill the screen through the
  // Mini Apps bridge directly, and take its theme colours from the launch parameters.
  function post(type) {
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, "{}");
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: {} }), "https://web.telegram.org");
    } catch (e) { /* not inside Telegram */ }
  }
  try {
    var theme = JSON.parse(new URLSearchParams(location.hash.slice(1)).get("tgWebAppThemeParams") || "{}");
    [["bg_color", "--bg"], ["text_color", "--fg"], ["hint_color", "--hint"]].forEach(function (p) {
      if (/^#[0-9a-fA-F]{3,8}$/.test(theme[p[0]] || "")) document.documentElement.style.setProperty(p[1], theme[p[0]]);
    });
  } catch (e) { /* the default colours */ }
  if (tg) { tg.ready(); tg.expand(); } else { post("web_app_ready"); post("web_app_expand"); }
  get("api/places").then(function (r) { return r.json(); }).then(start)
    .catch(function (e) { document.body.textContent = e.refused ? "401" : "offline"; document.body.id = "refused"; });
})();
