namespace Trawl.Selectors;

/// <summary>One selected node: an element, or a string produced by <c>::text</c> or <c>::attr(name)</c>.</summary>
public sealed class Selector
{
    private Selector()
    {
    }

    /// <summary>Selects again inside this node.</summary>
    public SelectorList Css(string query) => throw new NotImplementedException();

    /// <summary>The node's value: the outer HTML of an element, or the selected string.</summary>
    public string Get() => throw new NotImplementedException();
}
