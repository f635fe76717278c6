using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trawl.Http;

/// <summary>What a <see cref="PageAction"/> does.</summary>
public enum PageActionKind
{
    /// <summary>Scrolls to the bottom of the page, <see cref="PageAction.Count"/> times; after each, waits up to <see cref="PageAction.Pause"/> for the page to grow.</summary>
    Scroll,

    /// <summary>Clicks the element <see cref="PageAction.Selector"/> matches, <see cref="PageAction.Count"/> times (or every match once, with <see cref="PageAction.All"/>).</summary>
    Click,

    /// <summary>Waits until <see cref="PageAction.Selector"/> matches an element.</summary>
    WaitFor,

    /// <summary>Waits <see cref="PageAction.Pause"/>.</summary>
    Wait,
}

/// <summary>
/// One step a rendered page goes through after it is ready and before its DOM is read: scroll to the bottom, click, wait
/// for a selector, or wait a while. A request carries its list in its meta (<see cref="RequestMeta.RenderActions"/>),
/// as data, so it is saved with a durable job and travels to a Redis worker; a crawl's default list is
/// <c>RenderOptions.Actions</c>.
/// </summary>
/// <remarks>
/// <para>The JSON form, one object per action: <c>{"scroll": 3}</c> or <c>{"scroll": 3, "pause": 2}</c> (seconds);
/// <c>{"click": "#more"}</c>, <c>{"click": "#more", "count": 2}</c> or <c>{"click": ".tab", "all": true}</c>;
/// <c>{"wait_for": ".item"}</c>; <c>{"wait": 0.5}</c> (seconds).</para>
/// <para>Every action runs within the render's timeout. A click or a wait for a selector that never matches in time fails
/// the page as <c>render_timeout</c>, its message naming the action; a scroll that does not make the page grow just ends
/// (the end of an infinite list is not a failure).</para>
/// </remarks>
[JsonConverter(typeof(PageActionJsonConverter))]
public sealed class PageAction : IEquatable<PageAction>
{
    /// <summary>The default <see cref="Pause"/> of a scroll: the longest it waits for the page to grow.</summary>
    public static readonly TimeSpan DefaultScrollPause = TimeSpan.FromSeconds(2);

    private const int MaxCount = 1000;

    private PageAction(PageActionKind kind, string? selector, int count, bool all, TimeSpan pause)
    {
        Kind = kind;
        Selector = selector;
        Count = count;
        All = all;
        Pause = pause;
    }

    /// <summary>What the action does.</summary>
    public PageActionKind Kind { get; }

    /// <summary>The CSS selector of a click or a wait for a selector; <see langword="null"/> for the others.</summary>
    public string? Selector { get; }

    /// <summary>How many times a scroll scrolls or a click clicks; 1 for the others.</summary>
    public int Count { get; }

    /// <summary>A click: click every element the selector matches, once each, rather than the first <see cref="Count"/> times.</summary>
    public bool All { get; }

    /// <summary>A scroll: the longest it waits after each scroll for the page to grow. A wait: how long it waits.</summary>
    public TimeSpan Pause { get; }

    /// <summary>Scrolls to the bottom <paramref name="times"/> times, waiting up to <paramref name="pause"/> after each for the page to grow (more content loaded); stops early once it does not.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="times"/> is not 1 to 1000, or <paramref name="pause"/> is not positive and at most a minute.</exception>
    public static PageAction Scroll(int times = 1, TimeSpan? pause = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(times, MaxCount);
        var wait = pause ?? DefaultScrollPause;
        CheckPause(wait, nameof(pause));
        return new PageAction(PageActionKind.Scroll, null, times, all: false, wait);
    }

    /// <summary>Clicks the first element <paramref name="selector"/> matches, <paramref name="times"/> times, waiting for it to be there and clickable each time.</summary>
    /// <exception cref="ArgumentException"><paramref name="selector"/> is empty, or <paramref name="times"/> is not 1 to 1000.</exception>
    public static PageAction Click(string selector, int times = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(selector);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(times, MaxCount);
        return new PageAction(PageActionKind.Click, selector, times, all: false, TimeSpan.Zero);
    }

    /// <summary>Clicks every element <paramref name="selector"/> matches, once each (it waits for at least one).</summary>
    /// <exception cref="ArgumentException"><paramref name="selector"/> is empty.</exception>
    public static PageAction ClickAll(string selector)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(selector);
        return new PageAction(PageActionKind.Click, selector, 1, all: true, TimeSpan.Zero);
    }

    /// <summary>Waits until <paramref name="selector"/> matches an element.</summary>
    /// <exception cref="ArgumentException"><paramref name="selector"/> is empty.</exception>
    public static PageAction WaitFor(string selector)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(selector);
        return new PageAction(PageActionKind.WaitFor, selector, 1, all: false, TimeSpan.Zero);
    }

    /// <summary>Waits <paramref name="duration"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is not positive and at most a minute.</exception>
    public static PageAction Wait(TimeSpan duration)
    {
        CheckPause(duration, nameof(duration));
        return new PageAction(PageActionKind.Wait, null, 1, all: false, duration);
    }

    /// <summary>Reads a list of actions from its JSON form (an array of action objects; see <see cref="PageAction"/>).</summary>
    /// <exception cref="ArgumentException">The JSON is not such a list; the message says what is wrong with which action.</exception>
    public static IReadOnlyList<PageAction> ParseList(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("Page actions must be a JSON array of actions such as {\"scroll\": 3}, {\"click\": \"#more\"}, {\"wait_for\": \".item\"} or {\"wait\": 0.5}.", nameof(json));
        }

        var actions = new List<PageAction>(json.GetArrayLength());
        var index = 0;
        foreach (var element in json.EnumerateArray())
        {
            index++;
            try
            {
                actions.Add(FromJson(element));
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Page action {index}: {ex.Message}"), nameof(json), ex);
            }
        }

        return actions;
    }

    /// <summary>Reads a list of actions from its JSON text.</summary>
    /// <exception cref="ArgumentException">The text is not JSON, or not a list of actions.</exception>
    public static IReadOnlyList<PageAction> ParseList(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            return ParseList(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Page actions are not valid JSON: {ex.Message}", nameof(json), ex);
        }
    }

    /// <summary>The list's JSON form, as a request's meta holds it.</summary>
    public static JsonElement ToJson(IEnumerable<PageAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        return JsonSerializer.SerializeToElement(actions.ToArray(), PageActionJsonContext.Default.PageActionArray);
    }

    /// <summary>A short description, such as <c>click '#more' ×2</c>, for messages.</summary>
    public override string ToString() => Kind switch
    {
        PageActionKind.Scroll => string.Create(CultureInfo.InvariantCulture, $"scroll ×{Count}"),
        PageActionKind.Click when All => $"click every '{Selector}'",
        PageActionKind.Click => string.Create(CultureInfo.InvariantCulture, $"click '{Selector}' ×{Count}"),
        PageActionKind.WaitFor => $"wait for '{Selector}'",
        _ => string.Create(CultureInfo.InvariantCulture, $"wait {Pause.TotalSeconds:0.###} s"),
    };

    /// <inheritdoc />
    public bool Equals(PageAction? other) =>
        other is not null && Kind == other.Kind && string.Equals(Selector, other.Selector, StringComparison.Ordinal) && Count == other.Count && All == other.All && Pause == other.Pause;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PageAction);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Selector, Count, All, Pause);

    internal static PageAction FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("an action is a JSON object such as {\"click\": \"#more\"}.");
        }

        string? kind = null;
        JsonElement value = default;
        JsonElement? count = null, pause = null, all = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "scroll" or "click" or "wait_for" or "wait":
                    if (kind is not null)
                    {
                        throw new ArgumentException($"has both '{kind}' and '{property.Name}'; one action per object.");
                    }

                    kind = property.Name;
                    value = property.Value;
                    break;
                case "count":
                    count = property.Value;
                    break;
                case "pause":
                    pause = property.Value;
                    break;
                case "all":
                    all = property.Value;
                    break;
                default:
                    throw new ArgumentException($"unknown key '{property.Name}' (an action is scroll, click, wait_for or wait; with count, pause or all).");
            }
        }

        try
        {
            switch (kind)
            {
                case "scroll":
                    Only(count is null && all is null, "scroll", "pause");
                    return Scroll(Int(value, "scroll"), pause is { } p ? Seconds(p, "pause") : null);
                case "click":
                    Only(pause is null, "click", "count or all");
                    var selector = Text(value, "click");
                    if (all is { } a && a.ValueKind == JsonValueKind.True)
                    {
                        Only(count is null, "click with all", "nothing else");
                        return ClickAll(selector);
                    }

                    Only(all is null or { ValueKind: JsonValueKind.False }, "click", "all: true or false");
                    return Click(selector, count is { } c ? Int(c, "count") : 1);
                case "wait_for":
                    Only(count is null && pause is null && all is null, "wait_for", "nothing else");
                    return WaitFor(Text(value, "wait_for"));
                case "wait":
                    Only(count is null && pause is null && all is null, "wait", "nothing else");
                    return Wait(Seconds(value, "wait"));
                default:
                    throw new ArgumentException("names no action (scroll, click, wait_for or wait).");
            }
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentException($"'{kind}' {OutOfRange(ex)}", ex);
        }
    }

    private static string OutOfRange(ArgumentOutOfRangeException ex) => ex.ParamName switch
    {
        "times" => "count must be a whole number from 1 to 1000.",
        _ => "duration must be more than 0 and at most 60 seconds.",
    };

    private static void Only(bool ok, string action, string allowed)
    {
        if (!ok)
        {
            throw new ArgumentException($"{action} takes {allowed} only.");
        }
    }

    private static int Int(JsonElement value, string key) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw new ArgumentException($"'{key}' must be a whole number.");

    private static string Text(JsonElement value, string key) =>
        value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()) ? value.GetString()! : throw new ArgumentException($"'{key}' must be a CSS selector.");

    private static TimeSpan Seconds(JsonElement value, string key) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) && double.IsFinite(seconds) && seconds > 0 && seconds <= 60
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"'{key}' must be a number of seconds, more than 0 and at most 60.");

    private static void CheckPause(TimeSpan value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromMinutes(1), name);
    }

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        switch (Kind)
        {
            case PageActionKind.Scroll:
                writer.WriteNumber("scroll", Count);
                writer.WriteNumber("pause", Pause.TotalSeconds);
                break;
            case PageActionKind.Click:
                writer.WriteString("click", Selector);
                if (All)
                {
                    writer.WriteBoolean("all", true);
                }
                else
                {
                    writer.WriteNumber("count", Count);
                }

                break;
            case PageActionKind.WaitFor:
                writer.WriteString("wait_for", Selector);
                break;
            default:
                writer.WriteNumber("wait", Pause.TotalSeconds);
                break;
        }

        writer.WriteEndObject();
    }
}

/// <summary>Writes and reads a <see cref="PageAction"/> in its JSON form.</summary>
internal sealed class PageActionJsonConverter : JsonConverter<PageAction>
{
    public override PageAction Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        try
        {
            return PageAction.FromJson(document.RootElement);
        }
        catch (ArgumentException ex)
        {
            throw new JsonException(ex.Message, ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, PageAction value, JsonSerializerOptions options) => value.Write(writer);
}

[JsonSerializable(typeof(PageAction[]))]
internal sealed partial class PageActionJsonContext : JsonSerializerContext;
