using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Google.Calendar;

/// <summary>
/// Calendar-specific settings (section <c>GoogleCalendar</c>). Where the API is (<c>GoogleCalendar:BaseUrl</c>) is the
/// pipeline's <see cref="GoogleApiClientOptions"/>, read from the same section.
/// </summary>
public sealed class GoogleCalendarOptions
{
    public const string Section = "GoogleCalendar";

    public static readonly Uri DefaultBaseUrl = new("https://www.googleapis.com/calendar/v3/");

    /// <summary>events.list maxResults: Google allows up to 2500 (default 250); bigger pages, fewer calls against the per-user quota.</summary>
    [Range(1, 2500)] public int PageSize { get; set; } = 2500;
}
