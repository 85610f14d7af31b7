using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Google.People;

/// <summary>Where the People API is and how big connection pages are. Tests point <see cref="BaseUrl"/> at the sandbox.</summary>
public sealed class GooglePeopleOptions
{
    public const string Section = "GooglePeople";

    /// <summary>Root of the API (the client appends <c>v1/...</c>); must be absolute and end with '/'.</summary>
    [Required] public Uri BaseUrl { get; set; } = new("https://people.googleapis.com/");

    /// <summary>connections.list pageSize: Google allows 1–1000; bigger pages mean fewer calls against the per-user read quota.</summary>
    [Range(1, 1000)] public int PageSize { get; set; } = 1000;
}
