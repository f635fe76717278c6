using AngleSharp.Dom;

namespace Trawl.Selectors;

/// <summary>
/// Walks the descendants of a node (not the node itself) in document order, by child index:
/// <c>foreach (var node in new DomWalk(root))</c>.
/// </summary>
/// <remarks>
/// AngleSharp's <c>NextSibling</c> and <c>PreviousSibling</c> search the parent's child list, so a walk from sibling to
/// sibling costs the square of their number (<c>ul ::text</c> on a list of 100,000 items took 40 seconds); indexing
/// <c>ChildNodes</c> costs nothing. The walk allocates only when it goes deeper than the root's children.
/// </remarks>
internal struct DomWalk
{
    private Stack<(INodeList Children, int Next)>? _stack;
    private INodeList _children;
    private int _next;

    public DomWalk(INode root)
    {
        _children = root.ChildNodes;
        Current = null!;
    }

    /// <summary>The node the walk is on.</summary>
    public INode Current { get; private set; }

    /// <summary>The index of <see cref="Current"/> among its parent's child nodes.</summary>
    public readonly int Index => _next - 1;

    /// <summary>Makes <c>foreach</c> work.</summary>
    public readonly DomWalk GetEnumerator() => this;

    /// <summary>Moves to the next node in document order; <see langword="false"/> at the end.</summary>
    public bool MoveNext()
    {
        if (Current is not null && Current.ChildNodes.Length > 0)
        {
            (_stack ??= new()).Push((_children, _next));
            (_children, _next) = (Current.ChildNodes, 0);
        }

        while (_next >= _children.Length)
        {
            if (_stack is null || _stack.Count == 0)
            {
                return false;
            }

            (_children, _next) = _stack.Pop();
        }

        Current = _children[_next++];
        return true;
    }
}
