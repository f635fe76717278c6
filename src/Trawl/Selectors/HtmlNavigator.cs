using System.Runtime.CompilerServices;
using System.Xml;
using System.Xml.XPath;
using AngleSharp.Dom;

namespace Trawl.Selectors;

/// <summary>
/// An <see cref="XPathNavigator"/> over a parsed AngleSharp document, so that .NET's XPath 1.0 engine reads the same
/// tree CSS selectors read, without copying it.
/// </summary>
/// <remarks>
/// <para>The tree is the one an HTML parser builds, seen as lxml's HTML parser shows it to XPath (what Scrapy users
/// know): element names are the parser's local names (lower case for HTML), in no namespace, so <c>//div</c> matches
/// HTML, SVG and MathML elements alike; attributes are named as written (<c>@xlink:href</c> is reached with
/// <c>@*[name()='xlink:href']</c>) and are in no namespace either; there are no namespace nodes. The doctype is not a
/// node. Text nodes are text nodes, whitespace or not.</para>
/// <para>Not thread-safe, like the document it reads.</para>
/// </remarks>
internal sealed class HtmlNavigator : XPathNavigator
{
    // What every navigator over one tree shares.
    private readonly Tree _tree;
    private INode _node;

    // The index of the attribute the navigator is on in _node's attributes, or -1 when it is on _node itself.
    private int _attribute;

    private HtmlNavigator(Tree tree, INode node, int attribute)
    {
        _tree = tree;
        _node = node;
        _attribute = attribute;
    }

    /// <summary>A navigator positioned on <paramref name="node"/>: a document, an element, or a text or comment node.</summary>
    public static HtmlNavigator At(INode node) => new(Tree.Of(node), node, -1);

    /// <summary>The node the navigator is on; for an attribute, the element that holds it.</summary>
    public INode Node => _node;

    /// <summary>The attribute the navigator is on, or <see langword="null"/>.</summary>
    public IAttr? Attribute => _attribute >= 0 ? ((IElement)_node).Attributes[_attribute] : null;

    /// <inheritdoc />
    public override XmlNameTable NameTable => _tree.Names;

    /// <inheritdoc />
    public override XPathNodeType NodeType => _attribute >= 0 ? XPathNodeType.Attribute : _node.NodeType switch
    {
        AngleSharp.Dom.NodeType.Element => XPathNodeType.Element,
        AngleSharp.Dom.NodeType.Text => XPathNodeType.Text,
        AngleSharp.Dom.NodeType.Comment => XPathNodeType.Comment,
        AngleSharp.Dom.NodeType.ProcessingInstruction => XPathNodeType.ProcessingInstruction,
        _ => XPathNodeType.Root,
    };

    /// <inheritdoc />
    public override string LocalName => _tree.Names.Add(_attribute >= 0 ? Attribute!.Name : _node switch
    {
        IElement element => element.LocalName,
        IProcessingInstruction instruction => instruction.Target,
        _ => string.Empty,
    });

    /// <inheritdoc />
    public override string Name => LocalName;

    /// <inheritdoc />
    public override string NamespaceURI => string.Empty;

    /// <inheritdoc />
    public override string Prefix => string.Empty;

    /// <inheritdoc />
    public override string BaseURI => string.Empty;

    /// <inheritdoc />
    public override bool IsEmptyElement => _attribute < 0 && _node is IElement && FirstNavigable(_node.ChildNodes, 0, 1) < 0;

    /// <inheritdoc />
    public override string Value => _attribute >= 0 ? Attribute!.Value : StringValue(_node);

    /// <summary>The XPath string-value of a node: the text of a text or comment node, else all its descendant text.</summary>
    internal static string StringValue(INode node) => node switch
    {
        IDocument document => document.DocumentElement?.TextContent ?? string.Empty,
        ICharacterData data => data.Data,
        _ => node.TextContent ?? string.Empty,
    };

    /// <inheritdoc />
    public override XPathNavigator Clone() => new HtmlNavigator(_tree, _node, _attribute);

    /// <inheritdoc />
    public override bool IsSamePosition(XPathNavigator other) =>
        other is HtmlNavigator navigator && ReferenceEquals(navigator._node, _node) && navigator._attribute == _attribute;

    /// <inheritdoc />
    public override bool MoveTo(XPathNavigator other)
    {
        if (other is not HtmlNavigator navigator || !ReferenceEquals(navigator._tree, _tree))
        {
            return false;
        }

        _node = navigator._node;
        _attribute = navigator._attribute;
        return true;
    }

    /// <inheritdoc />
    public override bool MoveToFirstAttribute()
    {
        if (_attribute >= 0 || _node is not IElement element || element.Attributes.Length == 0)
        {
            return false;
        }

        _attribute = 0;
        return true;
    }

    /// <inheritdoc />
    public override bool MoveToNextAttribute()
    {
        if (_attribute < 0 || _attribute + 1 >= ((IElement)_node).Attributes.Length)
        {
            return false;
        }

        _attribute++;
        return true;
    }

    /// <inheritdoc />
    public override bool MoveToFirstNamespace(XPathNamespaceScope namespaceScope) => false;

    /// <inheritdoc />
    public override bool MoveToNextNamespace(XPathNamespaceScope namespaceScope) => false;

    /// <inheritdoc />
    public override bool MoveToNext() => _attribute < 0 && _node.Parent is { } parent && MoveToChild(parent, _tree.IndexOf(_node) + 1, step: 1);

    /// <inheritdoc />
    public override bool MoveToPrevious() => _attribute < 0 && _node.Parent is { } parent && MoveToChild(parent, _tree.IndexOf(_node) - 1, step: -1);

    /// <inheritdoc />
    public override bool MoveToFirstChild() => _attribute < 0 && MoveToChild(_node, 0, step: 1);

    /// <inheritdoc />
    public override bool MoveToParent()
    {
        if (_attribute >= 0)
        {
            _attribute = -1;
            return true;
        }

        if (_node.Parent is not { } parent)
        {
            return false;
        }

        _node = parent;
        return true;
    }

    /// <inheritdoc />
    public override void MoveToRoot()
    {
        _attribute = -1;
        while (_node.Parent is { } parent)
        {
            _node = parent;
        }
    }

    /// <inheritdoc />
    public override bool MoveToId(string id)
    {
        var root = _node;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        if (root is not IDocument document || document.GetElementById(id) is not { } element)
        {
            return false;
        }

        _node = element;
        _attribute = -1;
        return true;
    }

    /// <inheritdoc />
    public override XmlNodeOrder ComparePosition(XPathNavigator? nav)
    {
        if (nav is not HtmlNavigator other || !ReferenceEquals(other._tree, _tree))
        {
            return XmlNodeOrder.Unknown;
        }

        if (ReferenceEquals(other._node, _node))
        {
            // An element comes before its attributes, and they come in their order.
            return _attribute == other._attribute ? XmlNodeOrder.Same : _attribute < other._attribute ? XmlNodeOrder.Before : XmlNodeOrder.After;
        }

        var (mine, theirs) = (_tree.Position(_node), _tree.Position(other._node));
        return mine < 0 || theirs < 0 ? XmlNodeOrder.Unknown : mine < theirs ? XmlNodeOrder.Before : XmlNodeOrder.After;
    }

    // The doctype (and anything else outside XPath's data model) is skipped, as if it were not there.
    private static bool IsNavigable(INode node) =>
        node.NodeType is AngleSharp.Dom.NodeType.Element or AngleSharp.Dom.NodeType.Text or AngleSharp.Dom.NodeType.Comment or AngleSharp.Dom.NodeType.ProcessingInstruction;

    private static int FirstNavigable(INodeList children, int from, int step)
    {
        for (var i = from; i >= 0 && i < children.Length; i += step)
        {
            if (IsNavigable(children[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private bool MoveToChild(INode parent, int from, int step)
    {
        var children = parent.ChildNodes;
        var index = FirstNavigable(children, from, step);
        if (index < 0)
        {
            return false;
        }

        _node = children[index];
        return true;
    }

    /// <summary>
    /// The name table of one parsed tree, and each node's place in it: its index among its parent's children and its
    /// position in document order. Built once per tree, on its first XPath evaluation, and kept as long as the tree.
    /// </summary>
    /// <remarks>
    /// AngleSharp finds a node's siblings by searching its parent's children, which made <c>//li</c> on a list of
    /// 100,000 items take 14 seconds; XPath also compares document order often (unions, nested descendants), which
    /// walking up to a common ancestor would make cost the depth of the tree each time.
    /// </remarks>
    private sealed class Tree
    {
        private static readonly ConditionalWeakTable<INode, Tree> Trees = new();

        private readonly Dictionary<INode, (int Position, int Index)> _nodes = new(ReferenceEqualityComparer.Instance);

        private Tree(INode root)
        {
            _nodes[root] = (0, 0);
            var walk = new DomWalk(root);
            while (walk.MoveNext())
            {
                _nodes[walk.Current] = (_nodes.Count, walk.Index);
            }
        }

        public NameTable Names { get; } = new();

        /// <summary>The tree <paramref name="node"/> is in.</summary>
        public static Tree Of(INode node)
        {
            var root = node;
            while (root.Parent is { } parent)
            {
                root = parent;
            }

            return Trees.GetValue(root, static root => new Tree(root));
        }

        /// <summary>The node's place in document order, or -1 when it is not in this tree.</summary>
        public int Position(INode node) => _nodes.TryGetValue(node, out var entry) ? entry.Position : -1;

        /// <summary>The node's index among its parent's child nodes.</summary>
        public int IndexOf(INode node) => _nodes[node].Index;
    }
}
