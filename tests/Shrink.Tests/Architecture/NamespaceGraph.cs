using System.Reflection;
using NetArchTest.Rules;

namespace Shrink.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which, read from its IL by NetArchTest (signatures, fields, attributes and method
/// bodies), with the types that make each edge.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    private NamespaceGraph(IReadOnlyDictionary<string, string[]> typesByNamespace)
    {
        TypesByNamespace = typesByNamespace;
        foreach (var ns in typesByNamespace.Keys) _edges[ns] = new(StringComparer.Ordinal);
    }

    /// <summary>The top-level types of each namespace under the root, by full name.</summary>
    public IReadOnlyDictionary<string, string[]> TypesByNamespace { get; }

    public IEnumerable<string> Namespaces => _edges.Keys;

    /// <summary>Builds the graph of the namespaces of <paramref name="assembly"/> that start with <paramref name="root"/>.</summary>
    public static NamespaceGraph Of(Assembly assembly, string root)
    {
        var typesByNamespace = TopLevelTypes(assembly, root)
            .GroupBy(t => t.Namespace!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => t.FullName!).ToArray(), StringComparer.Ordinal);
        var graph = new NamespaceGraph(typesByNamespace);
        var types = Types.InAssembly(assembly);
        foreach (var (target, names) in typesByNamespace)
        {
            foreach (var user in types.That().HaveDependencyOnAny(names).GetTypes())
            {
                string from = NamespaceOf(user);
                if (from == target || !graph._edges.TryGetValue(from, out var targets)) continue;
                if (!targets.TryGetValue(target, out var why)) targets[target] = why = new(StringComparer.Ordinal);
                why.Add(OuterName(user));
            }
        }
        return graph;
    }

    /// <summary>The top-level types of <paramref name="assembly"/> in <paramref name="root"/> or below.</summary>
    public static IEnumerable<Type> TopLevelTypes(Assembly assembly, string root) =>
        assembly.GetTypes().Where(t => !t.IsNested && t.Namespace is { } ns && (ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal)));

    /// <summary>The namespace of a type NetArchTest found (nested and compiler-generated types count as their outer type's).</summary>
    public static string NamespaceOf(IType type)
    {
        if (type.ReflectionType?.Namespace is { } ns) return ns;
        string name = OuterName(type);
        int dot = name.LastIndexOf('.');
        return dot < 0 ? "" : name[..dot];
    }

    /// <summary>The full name of the outermost type declaring <paramref name="type"/>.</summary>
    public static string OuterName(IType type)
    {
        string name = type.FullName;
        int nested = name.IndexOfAny(['/', '+']);
        return nested < 0 ? name : name[..nested];
    }

    /// <summary>Whether <paramref name="from"/> uses a type of <paramref name="to"/>.</summary>
    public bool Uses(string from, string to) => _edges.TryGetValue(from, out var t) && t.ContainsKey(to);

    /// <summary>The types of <paramref name="from"/> that use a type of <paramref name="to"/>.</summary>
    public IReadOnlyCollection<string> Evidence(string from, string to) => _edges[from][to];

    /// <summary>
    /// The namespace cycles: each strongly connected component of more than one namespace, as one closed path through
    /// it (first namespace repeated at the end).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        foreach (var component in StronglyConnectedComponents().Where(c => c.Count > 1))
        {
            var members = component.ToHashSet(StringComparer.Ordinal);
            string start = component.Min(StringComparer.Ordinal)!;
            cycles.Add(ShortestCycle(start, members));
        }
        return cycles;
    }

    private List<string> ShortestCycle(string start, HashSet<string> members)
    {
        // Breadth-first from the start's successors back to the start, inside the component.
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var next in _edges[start].Keys.Where(members.Contains).Order(StringComparer.Ordinal))
            if (parent.TryAdd(next, start)) queue.Enqueue(next);
        while (queue.Count > 0)
        {
            var at = queue.Dequeue();
            if (at == start) break;
            foreach (var next in _edges[at].Keys.Where(members.Contains).Order(StringComparer.Ordinal))
                if (parent.TryAdd(next, at)) queue.Enqueue(next);
        }
        var path = new List<string> { start };
        for (var at = parent[start]; at != start; at = parent[at]) path.Add(at);
        path.Add(start);
        path.Reverse();
        return path;
    }

    private List<List<string>> StronglyConnectedComponents()
    {
        // Tarjan's algorithm.
        int index = 0;
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();

        void Visit(string v)
        {
            indices[v] = low[v] = index++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in _edges[v].Keys)
            {
                if (!indices.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], indices[w]);
            }
            if (low[v] != indices[v]) return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            components.Add(component);
        }

        foreach (var v in _edges.Keys.Order(StringComparer.Ordinal))
            if (!indices.ContainsKey(v)) Visit(v);
        return components;
    }
}
