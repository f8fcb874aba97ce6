package delayed

import (
	"fmt"
	"strings"
)

// Graph describes the graph under some values, each distinct key once, in
// an order where every node comes after its dependencies.
type Graph struct {
	// Nodes are the graph's nodes.
	Nodes []GraphNode
}

// GraphNode is one node of a Graph.
type GraphNode struct {
	// Key, Name and Kind identify the node.
	Key, Name, Kind string
	// Leaf is true for constants and persisted values.
	Leaf bool
	// Deps are the indices in Graph.Nodes of the node's arguments, in order.
	Deps []int
}

// GraphOf returns the graph under values. Nodes with equal keys appear once.
func GraphOf(values ...Node) *Graph {
	g := &Graph{}
	seen := map[*node]int{}
	byKey := map[string]int{}
	var visit func(n *node) int
	visit = func(n *node) int {
		if i, ok := seen[n]; ok {
			return i
		}
		if n.key != "" {
			if i, ok := byKey[n.key]; ok {
				seen[n] = i
				return i
			}
		}
		var deps []int
		if !n.leaf {
			deps = make([]int, len(n.deps))
			for j, d := range n.deps {
				deps[j] = visit(d)
			}
		}
		i := len(g.Nodes)
		g.Nodes = append(g.Nodes, GraphNode{Key: n.Key(), Name: n.spec.Name, Kind: n.spec.Kind, Leaf: n.leaf, Deps: deps})
		seen[n] = i
		if n.key != "" {
			byKey[n.key] = i
		}
		return i
	}
	for _, v := range values {
		visit(v.base())
	}
	return g
}

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.Nodes) }

// Calls returns the number of nodes that run a function (not leaves).
func (g *Graph) Calls() int {
	n := 0
	for _, nd := range g.Nodes {
		if !nd.Leaf {
			n++
		}
	}
	return n
}

// CountByKind returns how many call nodes there are of each kind.
func (g *Graph) CountByKind() map[string]int {
	m := map[string]int{}
	for _, nd := range g.Nodes {
		if !nd.Leaf {
			m[nd.Kind]++
		}
	}
	return m
}

// Dot returns the graph in Graphviz's dot language, drawn bottom-up like
// dask's visualize: calls are ellipses, constants and persisted values are
// boxes, and edges go from an argument to its use.
func (g *Graph) Dot() string {
	var b strings.Builder
	b.WriteString("digraph delayed {\n\trankdir=BT;\n")
	for i, nd := range g.Nodes {
		shape := "ellipse"
		if nd.Leaf {
			shape = "box"
		}
		fmt.Fprintf(&b, "\tn%d [label=%q, shape=%s, tooltip=%q];\n", i, nd.Name, shape, nd.Key)
	}
	for i, nd := range g.Nodes {
		for _, d := range nd.Deps {
			fmt.Fprintf(&b, "\tn%d -> n%d;\n", d, i)
		}
	}
	b.WriteString("}\n")
	return b.String()
}
