using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Google.People;

/// <summary>
/// People-specific settings (section <c>GooglePeople</c>). Where the API is (<c>GooglePeople:BaseUrl</c>) is the pipeline's
/// <see cref="GoogleApiClientOptions"/>, read from the same section.
/// </summary>
public sealed class GooglePeopleOptions
{
    public const string Section = "GooglePeople";

    public static readonly Uri DefaultBaseUrl = new("https://people.googleapis.com/");

    /// <summary>connections.list pageSize: Google allows 1–1000; bigger pages mean fewer calls against the per-user read quota.</summary>
    [Range(1, 1000)] public int PageSize { get; set; } = 1000;
}
