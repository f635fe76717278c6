using System.Globalization;
using System.Text;

namespace Trawl.Tests.Support;

/// <summary>
/// Plays what a program wrote to a terminal onto a screen of a given size, as a terminal would: text with deferred
/// wrapping at the right margin, carriage return, line feed (scrolling at the bottom), and the escape sequences
/// Spectre.Console writes (colours, cursor moves, erasing). Lines scrolled off the top are kept, so
/// <see cref="Transcript"/> is what someone scrolling back would read. Any other escape sequence fails the test rather
/// than be misread.
/// </summary>
public sealed class TerminalScreen
{
    private readonly int _width;
    private readonly List<char[]> _scrolledOff = [];
    private readonly char[][] _rows;
    private int _row;
    private int _column;
    private bool _wrapPending;

    private TerminalScreen(int width, int height)
    {
        _width = width;
        _rows = new char[height][];
        for (var i = 0; i < height; i++)
        {
            _rows[i] = Blank();
        }
    }

    /// <summary>Every line, the scrolled-off ones first, without trailing spaces; blank lines at the bottom are left out.</summary>
    public IReadOnlyList<string> Transcript
    {
        get
        {
            var lines = _scrolledOff.Concat(_rows).Select(row => new string(row).TrimEnd()).ToList();
            while (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            return lines;
        }
    }

    public static TerminalScreen Play(string output, int width, int height)
    {
        var screen = new TerminalScreen(width, height);
        screen.Write(output);
        return screen;
    }

    private void Write(string output)
    {
        for (var i = 0; i < output.Length; i++)
        {
            var c = output[i];
            switch (c)
            {
                case '\u001b':
                    i = Escape(output, i);
                    break;
                case '\r':
                    _column = 0;
                    _wrapPending = false;
                    break;
                case '\n':
                    LineFeed();
                    _column = 0;
                    _wrapPending = false;
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        throw new InvalidOperationException($"Unexpected control character U+{(int)c:X4} at {i}.");
                    }

                    Print(c);
                    break;
            }
        }
    }

    private void Print(char c)
    {
        if (_wrapPending)
        {
            LineFeed();
            _column = 0;
            _wrapPending = false;
        }

        _rows[_row][_column] = c;
        if (_column == _width - 1)
        {
            _wrapPending = true;
        }
        else
        {
            _column++;
        }
    }

    private void LineFeed()
    {
        if (_row < _rows.Length - 1)
        {
            _row++;
            return;
        }

        _scrolledOff.Add(_rows[0]);
        Array.Copy(_rows, 1, _rows, 0, _rows.Length - 1);
        _rows[^1] = Blank();
    }

    // Returns the index of the sequence's last character.
    private int Escape(string output, int start)
    {
        if (start + 1 >= output.Length)
        {
            throw new InvalidOperationException("An escape at the very end of the output.");
        }

        if (output[start + 1] == ']')
        {
            // OSC (a hyperlink, a title): ends with BEL or ESC \; it draws nothing.
            for (var i = start + 2; i < output.Length; i++)
            {
                if (output[i] == '\a')
                {
                    return i;
                }

                if (output[i] == '\u001b' && i + 1 < output.Length && output[i + 1] == '\\')
                {
                    return i + 1;
                }
            }

            throw new InvalidOperationException("An OSC sequence without its end.");
        }

        if (output[start + 1] != '[')
        {
            throw new InvalidOperationException($"Unsupported escape ESC {output[start + 1]} at {start}.");
        }

        var end = start + 2;
        while (end < output.Length && output[end] is < '@' or > '~')
        {
            end++;
        }

        if (end >= output.Length)
        {
            throw new InvalidOperationException("A CSI sequence without its final byte.");
        }

        var parameters = output[(start + 2)..end];
        Control(output[end], parameters);
        return end;
    }

    private void Control(char final, string parameters)
    {
        if (parameters.StartsWith('?'))
        {
            // Private modes: only showing and hiding the cursor draw nothing.
            if (parameters == "?25" && final is 'l' or 'h')
            {
                return;
            }

            throw new InvalidOperationException($"Unsupported private mode CSI {parameters}{final}.");
        }

        var n = parameters.Length == 0 ? 0 : int.Parse(parameters.Split(';')[0], CultureInfo.InvariantCulture);
        switch (final)
        {
            case 'm':
                return;
            case 'A':
                _row = Math.Max(0, _row - Math.Max(1, n));
                break;
            case 'B':
                _row = Math.Min(_rows.Length - 1, _row + Math.Max(1, n));
                break;
            case 'C':
                _column = Math.Min(_width - 1, _column + Math.Max(1, n));
                break;
            case 'D':
                _column = Math.Max(0, _column - Math.Max(1, n));
                break;
            case 'G':
                _column = Math.Clamp(Math.Max(1, n) - 1, 0, _width - 1);
                break;
            case 'H':
                var at = parameters.Split(';');
                _row = Math.Clamp((at.Length > 0 && at[0].Length > 0 ? int.Parse(at[0], CultureInfo.InvariantCulture) : 1) - 1, 0, _rows.Length - 1);
                _column = Math.Clamp((at.Length > 1 && at[1].Length > 0 ? int.Parse(at[1], CultureInfo.InvariantCulture) : 1) - 1, 0, _width - 1);
                break;
            case 'K':
                var (from, to) = n switch { 0 => (_column, _width), 1 => (0, _column + 1), 2 => (0, _width), _ => throw new InvalidOperationException($"Unsupported CSI {n}K.") };
                Array.Fill(_rows[_row], ' ', from, to - from);
                break;
            case 'J':
                if (n == 3)
                {
                    _scrolledOff.Clear();
                    return;
                }

                if (n != 2)
                {
                    throw new InvalidOperationException($"Unsupported CSI {n}J.");
                }

                foreach (var row in _rows)
                {
                    Array.Fill(row, ' ');
                }

                break;
            default:
                throw new InvalidOperationException($"Unsupported CSI {parameters}{final}.");
        }

        _wrapPending = false;
    }

    private char[] Blank()
    {
        var row = new char[_width];
        Array.Fill(row, ' ');
        return row;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var line in Transcript)
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }
}
