// The group page's network, drawn with Cytoscape.js (vendored: /static/cytoscape/, see scripts/vendor_cytoscape.py)
// from the page's JSON route; loaded as a module from the page (no inline script: the CSP allows this site only).
import cytoscape from "/static/cytoscape/cytoscape.esm.min.js";

const box = document.getElementById("network");
const status = document.getElementById("network-status");
const COLOURS = { suspect: "#d4351c", victim: "#1d70b8", associate: "#6f777b" };
const EDGES = { co_suspect: "#d4351c", suspect_victim: "#f499be", missing_with: "#5694ca" };

async function draw() {
  const res = await fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!res.ok) {
    status.textContent = "The network drawing could not be loaded (" + res.status + "); the tables below list the same ties.";
    return;
  }
  const g = await res.json();
  const cy = cytoscape({
    container: box,
    elements: { nodes: g.nodes, edges: g.edges },
    // suspects in the inner ring, victims and associates around them: the same picture on every visit
    layout: { name: "concentric", animate: false, minNodeSpacing: 50, avoidOverlap: true,
              concentric: (n) => (n.data("role") === "suspect" ? 2 : 1), levelWidth: () => 1 },
    style: [
      { selector: "node", style: { "background-color": (n) => COLOURS[n.data("role")] || "#6f777b", label: "data(label)",
                                    "font-size": 10, color: "#0b0c0c", "text-valign": "bottom", "text-margin-y": 3, "text-background-color": "#ffffff", "text-background-opacity": 0.8,
                                    width: 18, height: 18 } },
      { selector: "node[?key]", style: { "border-width": 3, "border-color": "#0b0c0c" } },
      { selector: "edge", style: { width: (e) => 1 + Math.min(3, e.data("weight")), "line-color": (e) => EDGES[e.data("type")] || "#b1b4b6",
                                    "curve-style": "haystack", opacity: 0.8 } },
    ],
    wheelSensitivity: 0.3,
  });
  box.dataset.rendered = String(cy.nodes().length);
  status.textContent = "Drawn: " + g.nodes.length + " people and " + g.edges.length + " ties.";
}

if (box) {
  draw().catch((e) => { status.textContent = "The network drawing failed (" + e + "); the tables below list the same ties."; });
}
