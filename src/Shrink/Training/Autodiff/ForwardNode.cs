using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>A node of the training graph as a backward rule sees it.</summary>
internal sealed class ForwardNode(ModelGraph graph, Node node) : IForwardNode
{
    public string OpType => node.OpType;

    public string DisplayName => node.DisplayName;

    public IReadOnlyList<string> Inputs => node.Inputs;

    public IReadOnlyList<string> Outputs => node.Outputs;

    public long GetInt(string name, long fallback) => node.GetInt(name, fallback);

    public IReadOnlyList<long>? GetInts(string name) => node.GetInts(name);

    public float GetFloat(string name, float fallback) => node.GetFloat(name, fallback);

    public string GetString(string name, string fallback) => node.GetString(name, fallback);

    public bool HasAttribute(string name) => node.HasAttribute(name);

    public string EnsureOutput(int index, string stem)
    {
        if (index < node.Outputs.Count && node.Outputs[index].Length > 0) return node.Outputs[index];
        while (node.Outputs.Count < index) graph.AddOutput(node, "");
        string name = graph.UniqueName(stem);
        if (index < node.Outputs.Count) graph.SetOutput(node, index, name);
        else graph.AddOutput(node, name);
        return name;
    }
}
