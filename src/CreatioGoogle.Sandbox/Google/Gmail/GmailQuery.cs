using System.Globalization;
using System.Text;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>
/// The part of Gmail's search syntax (messages.list <c>q</c>) an importer needs: <c>after:</c>/<c>before:</c> (dates
/// are midnight in Google's Pacific time, as Gmail documents; a number is epoch seconds), <c>newer_than:</c>/<c>older_than:</c>
/// (d, m, y), <c>rfc822msgid:</c>, <c>in:</c>, <c>label:</c>, <c>is:</c>, <c>from:</c>, <c>to:</c>, <c>subject:</c>,
/// <c>has:attachment</c>, quoted phrases and free words, each negatable with <c>-</c>. Terms are ANDed.
/// An operator the simulator does not know is a 400, so a query never silently matches more than Google would.
/// </summary>
internal sealed class GmailQuery
{
    private static readonly TimeZoneInfo Pacific = FindPacific();

    private readonly List<(bool Negated, Func<StoredMessage, bool> Test)> _terms = [];

    private GmailQuery()
    {
    }

    /// <summary>True when the query names SPAM or TRASH itself (in:spam, in:trash, in:anywhere, label:spam...), which lifts the default exclusion.</summary>
    public bool MentionsSpamOrTrash { get; private set; }

    public static GmailQuery Parse(string q, DateTimeOffset now, Func<string, string?> labelByName)
    {
        var query = new GmailQuery();
        foreach (var token in Tokenize(q))
        {
            if (token == "AND")
            {
                continue;
            }

            if (token == "OR" || token.IndexOfAny(['(', ')', '{', '}']) >= 0)
            {
                throw GmailApiError.InvalidArgument("Invalid search query: OR and grouping are not supported by the sandbox.");
            }

            var negated = token.StartsWith('-') && token.Length > 1;
            var term = negated ? token[1..] : token;
            query._terms.Add((negated, query.Compile(term, now, labelByName)));
        }

        return query;
    }

    public bool Matches(StoredMessage message) => _terms.All(t => t.Test(message) != t.Negated);

    private Func<StoredMessage, bool> Compile(string term, DateTimeOffset now, Func<string, string?> labelByName)
    {
        var colon = term.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || term.StartsWith('"'))
        {
            var word = Unquote(term).ToLowerInvariant();
            return m => m.Parsed.SearchText.Contains(word, StringComparison.Ordinal);
        }

        var op = term[..colon].ToLowerInvariant();
        var value = Unquote(term[(colon + 1)..]);
        switch (op)
        {
            case "after":
                var after = Instant(value);
                return m => m.InternalDateMs >= after;
            case "before":
                var before = Instant(value);
                return m => m.InternalDateMs < before;
            case "newer_than":
                var newer = now - Age(value);
                return m => m.InternalDateMs >= newer.ToUnixTimeMilliseconds();
            case "older_than":
                var older = now - Age(value);
                return m => m.InternalDateMs < older.ToUnixTimeMilliseconds();
            case "rfc822msgid":
                var id = value.Trim('<', '>');
                return m => string.Equals(m.Parsed.MessageId, id, StringComparison.OrdinalIgnoreCase);
            case "in" or "label" or "is":
                return LabelTest(op, value, labelByName);
            case "from":
                var fromValue = value.ToLowerInvariant();
                return m => m.Parsed.From.Any(a => a.Contains(fromValue, StringComparison.Ordinal));
            case "to":
                var toValue = value.ToLowerInvariant();
                return m => m.Parsed.Recipients.Any(a => a.Contains(toValue, StringComparison.Ordinal));
            case "subject":
                var subject = value.ToLowerInvariant();
                return m => m.Parsed.Subject.Contains(subject, StringComparison.OrdinalIgnoreCase);
            case "has" when value.Equals("attachment", StringComparison.OrdinalIgnoreCase):
                return m => m.Parsed.HasAttachment;
            default:
                throw GmailApiError.InvalidArgument($"Invalid search query: unsupported operator \"{op}:\" in the sandbox.");
        }
    }

    private Func<StoredMessage, bool> LabelTest(string op, string value, Func<string, string?> labelByName)
    {
        var name = value.ToLowerInvariant();
        if (op == "in" && name == "anywhere")
        {
            MentionsSpamOrTrash = true;
            return _ => true;
        }

        var id = (op, name) switch
        {
            ("is", "unread") => GmailLabels.Unread,
            ("is", "starred") => GmailLabels.Starred,
            ("is", "important") => GmailLabels.Important,
            ("is", "read") => "!" + GmailLabels.Unread,
            ("is", _) => throw GmailApiError.InvalidArgument($"Invalid search query: unsupported \"is:{value}\" in the sandbox."),
            (_, "inbox" or "sent" or "draft" or "spam" or "trash" or "starred" or "important" or "unread" or "chat") => name.ToUpperInvariant(),
            (_, "drafts") => GmailLabels.Draft,
            _ when name.StartsWith("category_", StringComparison.Ordinal) => name.ToUpperInvariant(),
            _ => labelByName(value) ?? throw GmailApiError.InvalidArgument($"Invalid label in search query: {value}"),
        };
        if (id is GmailLabels.Spam or GmailLabels.Trash)
        {
            MentionsSpamOrTrash = true;
        }

        return id.StartsWith('!') ? m => !m.Labels.Contains(id[1..]) : m => m.Labels.Contains(id);
    }

    /// <summary>Epoch seconds, or a date (yyyy/mm/dd or yyyy-mm-dd) meaning midnight Pacific time.</summary>
    private static long Instant(string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds * 1000;
        }

        string[] formats = ["yyyy/M/d", "yyyy-M-d", "yyyy/MM/dd", "yyyy-MM-dd"];
        if (!DateTime.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw GmailApiError.InvalidArgument($"Invalid search query: bad date \"{value}\".");
        }

        var midnight = DateTime.SpecifyKind(date.Date, DateTimeKind.Unspecified);
        return new DateTimeOffset(midnight, Pacific.GetUtcOffset(midnight)).ToUnixTimeMilliseconds();
    }

    private static TimeSpan Age(string value)
    {
        if (value.Length < 2 || !int.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw GmailApiError.InvalidArgument($"Invalid search query: bad age \"{value}\".");
        }

        return char.ToLowerInvariant(value[^1]) switch
        {
            'd' => TimeSpan.FromDays(n),
            'm' => TimeSpan.FromDays(30 * n),
            'y' => TimeSpan.FromDays(365 * n),
            _ => throw GmailApiError.InvalidArgument($"Invalid search query: bad age \"{value}\" (use d, m or y)."),
        };
    }

    private static IEnumerable<string> Tokenize(string q)
    {
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in q)
        {
            if (c == '"')
            {
                quoted = !quoted;
                current.Append(c);
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static string Unquote(string value) => value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    private static TimeZoneInfo FindPacific()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        }
        catch (TimeZoneNotFoundException)
        {
            // No tz database: Pacific standard time all year is closer than UTC.
            return TimeZoneInfo.CreateCustomTimeZone("PST", TimeSpan.FromHours(-8), "PST", "PST");
        }
    }
}
