// report_check.js - run inside a copy of report.html by tests/report_check.sh
// (headless Chromium, 1280 px wide window, --dump-dom). Before it the shell
// defines EXPECT (file, rows of that file), CODES (internal names that must
// not show) and WANT (section ids that must be there). It writes one line per
// check, "PASS what" or "FAIL what: detail", into <pre id="report-check">.
(function () {
    var lines = [];
    function check(ok, what, detail) {
        lines.push((ok ? "PASS " : "FAIL ") + what + (ok || !detail ? "" : ": " + detail));
    }
    function grouped(n) { // 1234567 -> "1,234,567", as the report writes counts
        return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    }
    function scrolls(el) {
        var o = getComputedStyle(el).overflowX;
        return o === "auto" || o === "scroll";
    }

    check(window.innerWidth === 1280, "window is 1280 px wide", "innerWidth " + window.innerWidth);
    var page = document.documentElement;
    check(page.scrollWidth <= page.clientWidth, "the page does not scroll sideways",
          "page " + page.scrollWidth + " px, window " + page.clientWidth + " px");

    // Every table fits its box, or its box scrolls; and that box fits its section.
    var tables = document.querySelectorAll("table"), bad = [];
    for (var i = 0; i < tables.length; i++) {
        var t = tables[i], box = t.parentElement;
        var name = (t.caption ? t.caption.textContent : "table " + i).slice(0, 60);
        if (t.scrollWidth > box.clientWidth + 1 && !scrolls(box))
            bad.push(name + " (" + t.scrollWidth + " px in a box of " + box.clientWidth + " px)");
        var section = t.closest("section");
        if (section) {
            var right = section.getBoundingClientRect().right;
            if (box.getBoundingClientRect().right > right + 1)
                bad.push(name + " (its box sticks out of its section)");
        }
        if (t.tBodies.length && t.tBodies[0].rows.length === 0)
            bad.push(name + " (no rows)");
    }
    check(tables.length > 0 && bad.length === 0,
          "every one of " + tables.length + " tables fits its box or scrolls inside it",
          bad.join("; "));

    // No internal code (snake_case keys, metric codes) in the visible text.
    var text = document.body.innerText, shown = [];
    for (var c = 0; c < CODES.length; c++) {
        var code = CODES[c].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        var m = new RegExp("(^|[^A-Za-z0-9_])(" + code + ")(?![A-Za-z0-9_])", "i").exec(text);
        if (m) {
            var at = m.index + m[1].length;
            shown.push(CODES[c] + " in \"" + text.slice(Math.max(0, at - 40), at + 40)
                       .replace(/\s+/g, " ") + "\"");
        }
    }
    check(CODES.length > 20 && shown.length === 0,
          "no internal code of " + CODES.length + " in the visible text", shown.join("; "));
    // A header is never a bare code, not even a one-letter one ("q", "n").
    var heads = document.querySelectorAll("th, caption"), coded = [];
    var bare = CODES.concat(["q", "n", "x", "p"]);
    for (var h = 0; h < heads.length; h++) {
        var said = heads[h].innerText.trim().toLowerCase();
        if (bare.indexOf(said) >= 0)
            coded.push(said);
    }
    check(heads.length > 50 && coded.length === 0,
          "no table header of " + heads.length + " is a code", coded.join(", "));

    // "This week" comes first and has an item per file with the file's count.
    var first = document.querySelector("main > section");
    check(first && first.id === "this-week", "the first section is This week",
          first ? first.id : "no section");
    var week = document.getElementById("this-week");
    for (var k = 0; k < EXPECT.length; k++) {
        var file = EXPECT[k][0], rows = EXPECT[k][1];
        var li = week ? week.querySelector('li[data-file="' + file + '"]') : null;
        var said = li ? li.innerText : "";
        var ok = li !== null && li.getAttribute("data-count") === String(rows) &&
                 (rows === 0 ? /^No(body)? /.test(said)
                             : said.indexOf(grouped(rows)) >= 0 && said.indexOf(file) >= 0);
        check(ok, "This week says " + rows + " for " + file,
              li ? "data-count " + li.getAttribute("data-count") + ": \"" + said + "\"" : "no item");
    }
    var items = week ? week.querySelectorAll("li") : [];
    for (var j = 0; j < items.length; j++)
        check(/\d|^No/.test(items[j].innerText) && /[.!]$/.test(items[j].innerText.trim()),
              "This week item " + items[j].getAttribute("data-action") + " is a sentence",
              items[j].innerText);

    for (var w = 0; w < WANT.length; w++)
        check(document.getElementById(WANT[w]) !== null, "section #" + WANT[w] + " is there");
    check(document.querySelectorAll("#trend svg.spark").length >= (WANT.indexOf("trend") >= 0 ? 2 : 0),
          "the trend draws its sparklines");

    var pre = document.createElement("pre");
    pre.id = "report-check";
    pre.textContent = "\n" + lines.join("\n") + "\n";
    document.body.appendChild(pre);
})();
