using Shrink.Registration;

namespace Shrink.Tests.Registration;

public class RegistryTests
{
    public interface IGreeter
    {
        string Greet();
    }

    [Registered("hello", "says hello", Order = 1)]
    public sealed class Hello : IGreeter
    {
        public string Greet() => "hello";
    }

    [Registered("echo", "repeats its setting")]
    public sealed class Echo(string text) : IGreeter
    {
        public string Greet() => text;
    }

    [Registered("hello", "a second hello")]
    public sealed class DuplicateHello : IGreeter
    {
        public string Greet() => "again";
    }

    [Fact]
    public void Entries_come_from_the_attribute_and_create_instances_with_their_settings()
    {
        var registry = new Registry<IGreeter>("greeter");
        registry.Add(new RegistryEntry("hello", "says hello", typeof(Hello), 1));
        registry.Add(new RegistryEntry("echo", "repeats", typeof(Echo), 0));
        Assert.Equal(["echo", "hello"], registry.Names);
        Assert.Equal("hello", registry.Create("hello").Greet());
        Assert.Equal("hi", registry.Create("echo", "hi").Greet());
        Assert.Throws<InvalidOperationException>(() => registry.Create("hello", "unexpected"));
    }

    [Fact]
    public void A_name_registered_twice_is_refused_naming_both_types()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Registry<IGreeter>.Discover("greeter", typeof(RegistryTests).Assembly));
        Assert.Contains("'hello'", e.Message);
        Assert.Contains(nameof(Hello), e.Message);
        Assert.Contains(nameof(DuplicateHello), e.Message);
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_valid_ones_and_a_close_match()
    {
        var registry = new Registry<IGreeter>("greeter");
        registry.Add(new RegistryEntry("hello", "says hello", typeof(Hello), 0));
        var e = Assert.Throws<ShrinkException>(() => registry.Get("HELLO"));
        Assert.Contains("Unknown greeter 'HELLO'; use one of hello.", e.Message);
        Assert.Contains("Did you mean hello?", e.Message);
        Assert.Throws<InvalidOperationException>(() => registry.Add(new RegistryEntry("x", "wrong type", typeof(string), 0)));
    }
}
