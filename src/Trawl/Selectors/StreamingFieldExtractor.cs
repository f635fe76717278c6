using System.Numerics;
using System.Text;
using Trawl.Html;

namespace Trawl.Selectors;

/// <summary>
/// Evaluates a <see cref="FieldPlan"/>'s fields in one pass over a page's tokens (<see cref="HtmlTreeReader"/>),
/// keeping per open element only which selector parts it and its ancestors match, and the text of the one text node
/// being read. Gives the values <c>Css(query).Get()</c> / <c>GetAll()</c> give on the parsed document, or gives up.
/// </summary>
/// <remarks>
/// <para>Each selector's compound parts get one bit: an element has bit k when it matches part k and the parts before
/// it match its ancestors as the combinators say, which needs only the parent's bits (for <c>&gt;</c>) and the union
/// of all ancestors' bits (for descendants). Up to 64 parts and 64 selectors per plan.</para>
/// <para>Values are ordered as the document path orders them: in document order, except that one selector ending in
/// an element's own <c>::text</c> lists each matched element's text nodes together, elements in document order
/// (<c>div::text</c> on nested divs gives the outer div's texts, then the inner's). A whole page is always read: a
/// later tag can change what came before (a second <c>&lt;body&gt;</c> adds attributes to the first), and the reader
/// gives up on such pages.</para>
/// </remarks>
internal sealed class StreamingFieldExtractor
{
    private const int MaxBits = 64;

    // Each thread keeps the state of its last evaluation for the next page of the same plan.
    [ThreadStatic]
    private static Run? t_run;

    private readonly StreamingSelector.Compound[] _compounds;
    private readonly ulong _firstParts;
    private readonly ulong _childParts;
    private readonly ulong _descendantParts;
    private readonly ulong _lastParts;
    private readonly int[] _groupOfLastPart;
    private readonly GroupPlan[] _groups;
    private readonly ulong _ownTextGroups;
    private readonly ulong _subtreeTextGroups;
    private readonly ulong _attributeGroups;
    private readonly ulong _subtreeAttributeGroups;
    private readonly ulong _rootTextGroups;
    private readonly ulong _rootAttributeGroups;
    private readonly bool[] _allMatches;
    private readonly bool[] _byMatchedElement;

    private StreamingFieldExtractor(List<StreamingSelector.Compound> compounds, List<(int Group, bool First)> partInfo, List<GroupPlan> groups, FieldQuery[] fields)
    {
        _compounds = [.. compounds];
        _groupOfLastPart = new int[compounds.Count];
        _groups = [.. groups];
        for (var k = 0; k < compounds.Count; k++)
        {
            var bit = 1UL << k;
            if (partInfo[k].First)
            {
                _firstParts |= bit;
            }
            else if (compounds[k].ChildOfPrevious)
            {
                _childParts |= bit;
            }
            else
            {
                _descendantParts |= bit;
            }

            var isLast = k + 1 == compounds.Count || partInfo[k + 1].First;
            _groupOfLastPart[k] = isLast ? partInfo[k].Group : -1;
            if (isLast)
            {
                _lastParts |= bit;
            }
        }

        for (var g = 0; g < _groups.Length; g++)
        {
            var bit = 1UL << g;
            var group = _groups[g];
            switch (group.Kind)
            {
                case GroupKind.OwnText:
                    _ownTextGroups |= bit;
                    break;
                case GroupKind.SubtreeText when group.FirstPart < 0:
                    _rootTextGroups |= bit;
                    break;
                case GroupKind.SubtreeText:
                    _subtreeTextGroups |= bit;
                    break;
                case GroupKind.Attribute:
                    _attributeGroups |= bit;
                    break;
                case GroupKind.SubtreeAttribute when group.FirstPart < 0:
                    _rootAttributeGroups |= bit;
                    break;
                default:
                    _subtreeAttributeGroups |= bit;
                    break;
            }
        }

        _allMatches = [.. fields.Select(field => field.AllMatches)];
        _byMatchedElement = new bool[fields.Length];
        for (var f = 0; f < fields.Length; f++)
        {
            var own = _groups.Where(group => group.Field == f).ToList();
            _byMatchedElement[f] = own.Count == 1 && own[0].Kind == GroupKind.OwnText;
        }
    }

    private enum GroupKind : byte
    {
        OwnText,
        SubtreeText,
        Attribute,
        SubtreeAttribute,
    }

    /// <summary>Compiles fields, or returns <see langword="null"/> when one of them is outside the streamable subset.</summary>
    public static StreamingFieldExtractor? TryCreate(FieldQuery[] fields)
    {
        var compounds = new List<StreamingSelector.Compound>();
        var partInfo = new List<(int Group, bool First)>();
        var groups = new List<GroupPlan>();
        for (var f = 0; f < fields.Length; f++)
        {
            // XPath fields take the document.
            if (fields[f].Query is not CssQuery css)
            {
                return null;
            }

            foreach (var group in css.Groups)
            {
                if (group.Pseudo == CssQuery.PseudoElement.None || groups.Count == MaxBits)
                {
                    return null;
                }

                var isText = group.Pseudo == CssQuery.PseudoElement.Text;
                var kind = (isText, group.Subtree) switch
                {
                    (true, false) => GroupKind.OwnText,
                    (true, true) => GroupKind.SubtreeText,
                    (false, false) => GroupKind.Attribute,
                    _ => GroupKind.SubtreeAttribute,
                };

                // The parser's attribute names are lower case; a name written otherwise is looked up as written.
                if (!isText && group.Attribute!.Any(char.IsAsciiLetterUpper))
                {
                    return null;
                }

                var firstPart = -1;
                if (group.Elements is not null)
                {
                    var selector = StreamingSelector.TryParse(group.SelectorText);
                    if (selector is null || compounds.Count + selector.Compounds.Count > MaxBits)
                    {
                        return null;
                    }

                    firstPart = compounds.Count;
                    for (var i = 0; i < selector.Compounds.Count; i++)
                    {
                        compounds.Add(selector.Compounds[i]);
                        partInfo.Add((groups.Count, i == 0));
                    }
                }

                groups.Add(new GroupPlan(f, kind, group.Attribute, firstPart));
            }
        }

        return new StreamingFieldExtractor(compounds, partInfo, groups, fields);
    }

    /// <summary>
    /// Evaluates the fields on a page, given as UTF-8 (<see cref="Utf8Html"/>); <see langword="null"/> when the page
    /// holds markup the stream cannot be sure of, with the reason (for diagnostics).
    /// </summary>
    public FieldValues? TryExtract(ReadOnlySpan<byte> utf8, out string? reason)
    {
        var run = t_run is { } cached && cached.Plan == this ? cached : new Run(this);
        t_run = null;
        var reader = new HtmlTreeReader(utf8);
        try
        {
            while (reader.Read())
            {
                var ok = reader.NodeKind switch
                {
                    HtmlNodeKind.ElementStart => run.Start(ref reader),
                    HtmlNodeKind.ElementEnd => run.End(),
                    HtmlNodeKind.Text => run.Text(ref reader),
                    _ => run.EndText(),
                };
                if (!ok)
                {
                    reason = "a reference that cannot be decoded exactly, in text or an attribute that a field reads";
                    return null;
                }
            }

            if (reader.GaveUp)
            {
                reason = reader.GiveUpReason;
                return null;
            }

            reason = null;
            run.EndText();
            return run.Values();
        }
        finally
        {
            reader.Dispose();
            run.Reset();
            t_run = run;
        }
    }

    private readonly record struct GroupPlan(int Field, GroupKind Kind, string? Attribute, int FirstPart);

    private struct Frame
    {
        public ulong Parts;
        public ulong AncestorParts;
        public ulong OwnText;
        public ulong SubtreeText;
        public ulong SubtreeAttributes;
        public long Sequence;
    }

    // A value with where the document path would put it: by node (and attribute name), or, for a field ordered by
    // matched element, by that element and then the text node.
    private readonly record struct Candidate(long Primary, long Secondary, string? Attribute, string Value) : IComparable<Candidate>
    {
        public int CompareTo(Candidate other)
        {
            var byPrimary = Primary.CompareTo(other.Primary);
            if (byPrimary != 0)
            {
                return byPrimary;
            }

            var bySecondary = Secondary.CompareTo(other.Secondary);
            return bySecondary != 0 ? bySecondary : string.CompareOrdinal(Attribute, other.Attribute);
        }

        public bool Precedes(long primary, long secondary, string? attribute) =>
            CompareTo(new Candidate(primary, secondary, attribute, string.Empty)) < 0;
    }

    // The state of one evaluation.
    private sealed class Run
    {
        private readonly StreamingFieldExtractor _plan;
        private readonly List<Candidate>?[] _all;
        private readonly Candidate?[] _first;
        private StringBuilder _text = new();
        private Frame[] _frames = new Frame[64];
        private int _depth;
        private long _sequence;
        private bool _textOpen;
        private ulong _textGroups;
        private long _textSequence;
        private long _textParent;
        private bool _textWanted;

        public Run(StreamingFieldExtractor plan)
        {
            _plan = plan;
            _all = new List<Candidate>?[plan._allMatches.Length];
            _first = new Candidate?[plan._allMatches.Length];
            Reset();
        }

        public StreamingFieldExtractor Plan => _plan;

        // Back to the state before the first token, keeping no value of the last page.
        public void Reset()
        {
            _depth = 0;
            _sequence = 0;
            _textOpen = false;
            _frames[0] = new Frame { SubtreeText = _plan._rootTextGroups, SubtreeAttributes = _plan._rootAttributeGroups };
            Array.Clear(_first);
            foreach (var all in _all)
            {
                all?.Clear();
            }

            if (_text.Capacity > 64 * 1024)
            {
                _text = new StringBuilder();
            }

            _text.Clear();
        }

        public bool Start(ref HtmlTreeReader reader)
        {
            if (!EndText())
            {
                return false;
            }

            ref readonly var parent = ref _frames[_depth];
            var plan = _plan;
            var candidates = plan._firstParts | ((parent.Parts << 1) & plan._childParts) | ((parent.AncestorParts << 1) & plan._descendantParts);
            var parts = 0UL;
            while (candidates != 0)
            {
                var k = BitOperations.TrailingZeroCount(candidates);
                candidates &= candidates - 1;
                if (!TryMatch(plan._compounds[k], ref reader, out var matches))
                {
                    return false;
                }

                if (matches)
                {
                    parts |= 1UL << k;
                }
            }

            var groups = 0UL;
            for (var last = parts & plan._lastParts; last != 0; last &= last - 1)
            {
                groups |= 1UL << plan._groupOfLastPart[BitOperations.TrailingZeroCount(last)];
            }

            var frame = new Frame
            {
                Parts = parts,
                AncestorParts = parent.AncestorParts | parts,
                OwnText = groups & plan._ownTextGroups,
                SubtreeText = parent.SubtreeText | (groups & plan._subtreeTextGroups),
                SubtreeAttributes = parent.SubtreeAttributes | (groups & plan._subtreeAttributeGroups),
                Sequence = ++_sequence,
            };

            if (++_depth == _frames.Length)
            {
                Array.Resize(ref _frames, _frames.Length * 2);
            }

            _frames[_depth] = frame;
            var attributeGroups = (groups & plan._attributeGroups) | frame.SubtreeAttributes;
            return attributeGroups == 0 || OfferAttributes(ref reader, attributeGroups, frame.Sequence);
        }

        public bool End()
        {
            if (!EndText())
            {
                return false;
            }

            _depth--;
            return true;
        }

        public bool Text(ref HtmlTreeReader reader)
        {
            if (!_textOpen)
            {
                if (_depth == 0)
                {
                    return false;
                }

                ref readonly var parent = ref _frames[_depth];
                _textOpen = true;
                _textSequence = ++_sequence;
                _textParent = parent.Sequence;
                _textGroups = parent.OwnText | parent.SubtreeText;
                _textWanted = false;
                for (var groups = _textGroups; groups != 0; groups &= groups - 1)
                {
                    var field = _plan._groups[BitOperations.TrailingZeroCount(groups)].Field;
                    var (primary, secondary) = TextKey(field);
                    _textWanted |= Wanted(field, primary, secondary, null);
                }

                _text.Clear();
            }

            return !_textWanted || reader.TryAppendText(_text);
        }

        // Ends the text node being read, if any: its value goes to the fields that select it.
        public bool EndText()
        {
            if (!_textOpen)
            {
                return true;
            }

            _textOpen = false;
            if (!_textWanted)
            {
                return true;
            }

            var value = _text.ToString();
            var offered = 0UL;
            for (var groups = _textGroups; groups != 0; groups &= groups - 1)
            {
                var field = _plan._groups[BitOperations.TrailingZeroCount(groups)].Field;
                if ((offered & (1UL << field)) == 0)
                {
                    offered |= 1UL << field;
                    var (primary, secondary) = TextKey(field);
                    Offer(field, new Candidate(primary, secondary, null, value));
                }
            }

            return true;
        }

        public FieldValues Values()
        {
            var values = new IReadOnlyList<string>[_all.Length];
            for (var f = 0; f < values.Length; f++)
            {
                if (_plan._allMatches[f])
                {
                    var all = _all[f];
                    if (all is null)
                    {
                        values[f] = [];
                        continue;
                    }

                    all.Sort();
                    values[f] = [.. all.Select(static candidate => candidate.Value)];
                }
                else
                {
                    values[f] = _first[f] is { } first ? [first.Value] : [];
                }
            }

            return new FieldValues(values, streamed: true);
        }

        private (long Primary, long Secondary) TextKey(int field) =>
            _plan._byMatchedElement[field] ? (_textParent, _textSequence) : (_textSequence, 0);

        private bool Wanted(int field, long primary, long secondary, string? attribute) =>
            _plan._allMatches[field] || _first[field] is not { } best || !best.Precedes(primary, secondary, attribute);

        private void Offer(int field, Candidate candidate)
        {
            if (_plan._allMatches[field])
            {
                (_all[field] ??= []).Add(candidate);
            }
            else if (_first[field] is not { } best || candidate.CompareTo(best) < 0)
            {
                _first[field] = candidate;
            }
        }

        private bool OfferAttributes(ref HtmlTreeReader reader, ulong groups, long element)
        {
            for (var remaining = groups; remaining != 0; remaining &= remaining - 1)
            {
                var g = BitOperations.TrailingZeroCount(remaining);
                var group = _plan._groups[g];
                if (AskedBefore(groups, g, group) || !Wanted(group.Field, element, 0, group.Attribute))
                {
                    continue;
                }

                if (!reader.TryGetAttribute(group.Attribute!, out var found, out string value))
                {
                    return false;
                }

                if (found)
                {
                    Offer(group.Field, new Candidate(element, 0, group.Attribute, value));
                }
            }

            return true;
        }

        // One value per field and attribute name, however many of the field's selectors ask for it.
        private bool AskedBefore(ulong groups, int g, GroupPlan group)
        {
            for (var earlier = groups & ((1UL << g) - 1); earlier != 0; earlier &= earlier - 1)
            {
                var other = _plan._groups[BitOperations.TrailingZeroCount(earlier)];
                if (other.Field == group.Field && string.Equals(other.Attribute, group.Attribute, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool TryMatch(StreamingSelector.Compound compound, ref HtmlTreeReader reader, out bool matches)
        {
            matches = false;
            if (compound.Type is { } type && !Ascii.EqualsIgnoreCase(reader.Name, type))
            {
                return true;
            }

            if (compound.Id is { } id)
            {
                if (!reader.TryGetAttribute("id", out var found, out ReadOnlySpan<char> value))
                {
                    return false;
                }

                if (!found || !value.SequenceEqual(id))
                {
                    return true;
                }
            }

            if (compound.Classes.Length > 0)
            {
                if (!reader.TryGetAttribute("class", out var found, out ReadOnlySpan<char> value))
                {
                    return false;
                }

                if (!found)
                {
                    return true;
                }

                foreach (var name in compound.Classes)
                {
                    if (!StreamingSelectorMatching.ContainsToken(value, name))
                    {
                        return true;
                    }
                }
            }

            foreach (var condition in compound.Attributes)
            {
                if (!reader.TryGetAttribute(condition.Name, out var found, out ReadOnlySpan<char> value))
                {
                    return false;
                }

                if (!condition.IsMetBy(value, found))
                {
                    return true;
                }
            }

            matches = true;
            return true;
        }
    }
}
