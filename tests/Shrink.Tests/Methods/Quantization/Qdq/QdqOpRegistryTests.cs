using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Tests.Methods.Quantization.Qdq;

/// <summary>
/// The QDQ op registry is built from discovered handlers: each serves its catalog role and the op types it claims by name
/// (a claim overrides the role), and two handlers wanting the same role or op type are refused, naming both.
/// </summary>
public sealed class QdqOpRegistryTests
{
    public sealed class PoolHandler : IQdqOpHandler
    {
        public QdqRole? Role => QdqRole.OwnOutputScale;

        public string? Mark(Node node, QdqMarkContext context) => null;
    }

    public sealed class OtherPoolHandler : IQdqOpHandler
    {
        public QdqRole? Role => QdqRole.OwnOutputScale;

        public string? Mark(Node node, QdqMarkContext context) => null;
    }

    public sealed class ConcatClaim : IQdqOpHandler
    {
        public IReadOnlyList<string> ClaimedOpTypes => [OpTypes.Concat];

        public string? Mark(Node node, QdqMarkContext context) => null;
    }

    public sealed class OtherConcatClaim : IQdqOpHandler
    {
        public IReadOnlyList<string> ClaimedOpTypes => [OpTypes.Concat];

        public string? Mark(Node node, QdqMarkContext context) => null;
    }

    private static Registry<IQdqOpHandler> Of(params (string Name, Type Type)[] handlers)
    {
        var registry = new Registry<IQdqOpHandler>("QDQ op handler");
        foreach (var (name, type) in handlers) registry.Add(new RegistryEntry(name, "test", type, 0));
        return registry;
    }

    [Fact]
    public void The_default_registry_is_built_from_the_discovered_handlers()
    {
        var rebuilt = QdqOpRegistry.Build(QdqOpRegistry.Handlers);

        Assert.Contains("weighted", QdqOpRegistry.Handlers.Names);
        Assert.Equal(QdqOpRegistry.Default.OpTypes.Order(StringComparer.Ordinal), rebuilt.OpTypes.Order(StringComparer.Ordinal));
        Assert.All(QdqOpRegistry.Default.OpTypes, t => Assert.Equal(QdqOpRegistry.Default.Find(t)!.GetType(), rebuilt.Find(t)!.GetType()));
        // One instance per handler, shared by the ops of its role.
        Assert.Same(QdqOpRegistry.Default.Find("Conv"), QdqOpRegistry.Default.Find("Gemm"));
    }

    [Fact]
    public void A_handler_serves_every_catalog_op_of_its_role()
    {
        var registry = QdqOpRegistry.Build(Of(("pool", typeof(PoolHandler))));

        Assert.Equal(["AveragePool", "Concat", "GlobalAveragePool"], registry.OpTypes.Order(StringComparer.Ordinal));
        Assert.IsType<PoolHandler>(registry.Find("Concat"));
        Assert.Null(registry.Find("Conv"));
    }

    [Fact]
    public void An_op_type_claimed_by_name_overrides_its_role_handler()
    {
        var registry = QdqOpRegistry.Build(Of(("pool", typeof(PoolHandler)), ("concat", typeof(ConcatClaim))));

        Assert.IsType<ConcatClaim>(registry.Find("Concat"));
        Assert.IsType<PoolHandler>(registry.Find("AveragePool"));
    }

    [Fact]
    public void Two_handlers_serving_one_role_are_refused_naming_both()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            QdqOpRegistry.Build(Of(("pool", typeof(PoolHandler)), ("other-pool", typeof(OtherPoolHandler)))));

        Assert.Contains("'pool'", error.Message);
        Assert.Contains("'other-pool'", error.Message);
        Assert.Contains(nameof(QdqRole.OwnOutputScale), error.Message);
    }

    [Fact]
    public void Two_handlers_claiming_one_op_type_are_refused_naming_both()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            QdqOpRegistry.Build(Of(("concat", typeof(ConcatClaim)), ("other-concat", typeof(OtherConcatClaim)))));

        Assert.Contains("'concat'", error.Message);
        Assert.Contains("'other-concat'", error.Message);
        Assert.Contains("'Concat'", error.Message);
    }
}
