namespace Trawl.Selectors;

/// <summary>
/// A selector in the subset that can be matched while tokenizing, from an element and its open ancestors alone: type
/// (or <c>*</c>), class, id and attribute selectors (<c>[a]</c>, <c>=</c>, <c>~=</c>, <c>|=</c>, <c>^=</c>,
/// <c>$=</c>, <c>*=</c>), joined by descendant and child combinators. Matching means what it means to the parser's
/// selector engine (AngleSharp), which a test checks.
/// </summary>
/// <remarks>
/// Parsing is deliberately strict: identifiers are plain ASCII, values are identifiers or quoted strings without
/// escapes, and anything else (pseudo-classes, sibling combinators, namespaces, escapes, case flags) makes
/// <see cref="TryParse"/> return <see langword="null"/>, and the query is answered from the document instead.
/// </remarks>
internal sealed class StreamingSelector
{
    private StreamingSelector(Compound[] compounds)
    {
        Compounds = compounds;
    }

    /// <summary>The compound selectors from left to right.</summary>
    public IReadOnlyList<Compound> Compounds { get; }

    /// <summary>Parses a selector (without a pseudo-element); <see langword="null"/> when it is outside the subset.</summary>
    public static StreamingSelector? TryParse(string text)
    {
        var compounds = new List<Compound>();
        var at = 0;
        SkipSpaces(text, ref at);
        var childOfPrevious = false;
        while (true)
        {
            var compound = ParseCompound(text, ref at, childOfPrevious);
            if (compound is null)
            {
                return null;
            }

            compounds.Add(compound);
            var spaced = SkipSpaces(text, ref at);
            if (at == text.Length)
            {
                return new StreamingSelector([.. compounds]);
            }

            if (text[at] == '>')
            {
                at++;
                SkipSpaces(text, ref at);
                childOfPrevious = true;
            }
            else if (spaced)
            {
                childOfPrevious = false;
            }
            else
            {
                return null;
            }
        }
    }

    private static Compound? ParseCompound(string text, ref int at, bool childOfPrevious)
    {
        string? type = null;
        string? id = null;
        var classes = new List<string>();
        var attributes = new List<AttributeCondition>();
        var parts = 0;
        if (at < text.Length && text[at] == '*')
        {
            at++;
            parts++;
        }
        else if (ReadIdentifier(text, ref at) is { } name)
        {
            type = name;
            parts++;
        }

        while (at < text.Length)
        {
            var c = text[at];
            if (c is '.' or '#')
            {
                at++;
                var name = ReadIdentifier(text, ref at);
                if (name is null || (c == '#' && id is not null && id != name))
                {
                    return null;
                }

                if (c == '.')
                {
                    classes.Add(name);
                }
                else
                {
                    id = name;
                }
            }
            else if (c == '[')
            {
                at++;
                if (ParseAttribute(text, ref at) is not { } condition)
                {
                    return null;
                }

                attributes.Add(condition);
            }
            else
            {
                break;
            }

            parts++;
        }

        return parts == 0 ? null : new Compound(type, id, [.. classes], [.. attributes], childOfPrevious);
    }

    // After '[': "name]", or "name op value]".
    private static AttributeCondition? ParseAttribute(string text, ref int at)
    {
        SkipSpaces(text, ref at);
        var name = ReadIdentifier(text, ref at);
        if (name is null)
        {
            return null;
        }

        SkipSpaces(text, ref at);
        if (at >= text.Length)
        {
            return null;
        }

        if (text[at] == ']')
        {
            at++;
            return new AttributeCondition(name.ToLowerInvariant(), AttributeOperator.Exists, string.Empty);
        }

        AttributeOperator op;
        if (text[at] == '=')
        {
            op = AttributeOperator.Equals;
            at++;
        }
        else if (at + 1 < text.Length && text[at + 1] == '=')
        {
            op = text[at] switch
            {
                '~' => AttributeOperator.Includes,
                '|' => AttributeOperator.DashMatch,
                '^' => AttributeOperator.Prefix,
                '$' => AttributeOperator.Suffix,
                '*' => AttributeOperator.Substring,
                _ => AttributeOperator.Exists,
            };
            if (op == AttributeOperator.Exists)
            {
                return null;
            }

            at += 2;
        }
        else
        {
            return null;
        }

        SkipSpaces(text, ref at);
        string? value;
        if (at < text.Length && text[at] is '"' or '\'')
        {
            var quote = text[at];
            var close = text.IndexOf(quote, at + 1);
            if (close < 0)
            {
                return null;
            }

            value = text[(at + 1)..close];
            if (value.AsSpan().IndexOfAny('\\', '\n', '\r') >= 0 || value.AsSpan().IndexOf('\f') >= 0)
            {
                return null;
            }

            at = close + 1;
        }
        else
        {
            value = ReadIdentifier(text, ref at);
            if (value is null)
            {
                return null;
            }
        }

        // No case flag ([a=b i]) and nothing else before the bracket closes.
        SkipSpaces(text, ref at);
        if (at >= text.Length || text[at] != ']')
        {
            return null;
        }

        at++;
        return new AttributeCondition(name.ToLowerInvariant(), op, value);
    }

    // A CSS identifier without escapes or non-ASCII characters: an optional '-', then a letter or '_', then letters,
    // digits, '-' and '_'.
    private static string? ReadIdentifier(string text, ref int at)
    {
        var start = at;
        var i = at;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (i >= text.Length || !(char.IsAsciiLetter(text[i]) || text[i] == '_'))
        {
            return null;
        }

        i++;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or '_'))
        {
            i++;
        }

        at = i;
        return text[start..i];
    }

    // CSS whitespace. Returns whether there was any.
    private static bool SkipSpaces(string text, ref int at)
    {
        var start = at;
        while (at < text.Length && text[at] is ' ' or '\t' or '\n' or '\r' or '\f')
        {
            at++;
        }

        return at > start;
    }

    /// <summary>One compound selector: everything it says about one element.</summary>
    /// <param name="Type">The element name (compared ignoring case), or <see langword="null"/> for any.</param>
    /// <param name="Id">The id the element must have, or <see langword="null"/>.</param>
    /// <param name="Classes">Classes the element must have.</param>
    /// <param name="Attributes">Attribute conditions the element must meet.</param>
    /// <param name="ChildOfPrevious">Whether the previous compound must match the parent (<c>&gt;</c>) rather than any ancestor.</param>
    internal sealed record Compound(string? Type, string? Id, string[] Classes, AttributeCondition[] Attributes, bool ChildOfPrevious);
}

/// <summary>An attribute selector: a lower-case attribute name, an operator and a value.</summary>
internal readonly record struct AttributeCondition(string Name, AttributeOperator Operator, string Value)
{
    /// <summary>Whether a value of the attribute (<see langword="null"/> when the element lacks it) meets the condition, as the parser's selector engine decides.</summary>
    public bool IsMetBy(ReadOnlySpan<char> value, bool present)
    {
        if (!present)
        {
            return false;
        }

        return Operator switch
        {
            AttributeOperator.Exists => true,
            AttributeOperator.Equals => value.SequenceEqual(Value),
            AttributeOperator.Includes => Value.Length > 0 && StreamingSelectorMatching.ContainsToken(value, Value),
            AttributeOperator.DashMatch => Value.Length > 0 && (value.SequenceEqual(Value) || (value.Length > Value.Length && value.StartsWith(Value, StringComparison.Ordinal) && value[Value.Length] == '-')),
            AttributeOperator.Prefix => Value.Length > 0 && value.StartsWith(Value, StringComparison.Ordinal),
            AttributeOperator.Suffix => Value.Length > 0 && value.EndsWith(Value, StringComparison.Ordinal),
            _ => Value.Length > 0 && value.Contains(Value, StringComparison.Ordinal),
        };
    }
}

/// <summary>The operators of attribute selectors.</summary>
internal enum AttributeOperator : byte
{
    /// <summary><c>[a]</c></summary>
    Exists,

    /// <summary><c>[a=v]</c></summary>
    Equals,

    /// <summary><c>[a~=v]</c>: one of its whitespace-separated words.</summary>
    Includes,

    /// <summary><c>[a|=v]</c>: v, or starts with v followed by '-'.</summary>
    DashMatch,

    /// <summary><c>[a^=v]</c></summary>
    Prefix,

    /// <summary><c>[a$=v]</c></summary>
    Suffix,

    /// <summary><c>[a*=v]</c></summary>
    Substring,
}

/// <summary>Helpers the streaming matcher shares with attribute conditions.</summary>
internal static class StreamingSelectorMatching
{
    /// <summary>Whether a class-like list (words separated by HTML whitespace) holds a word.</summary>
    public static bool ContainsToken(ReadOnlySpan<char> list, string token)
    {
        while (true)
        {
            var start = 0;
            while (start < list.Length && IsSpace(list[start]))
            {
                start++;
            }

            if (start == list.Length)
            {
                return false;
            }

            list = list[start..];
            var end = 0;
            while (end < list.Length && !IsSpace(list[end]))
            {
                end++;
            }

            if (list[..end].SequenceEqual(token))
            {
                return true;
            }

            list = list[end..];
        }
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f';
}
