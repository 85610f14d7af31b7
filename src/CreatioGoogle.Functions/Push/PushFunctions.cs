using CreatioGoogle.Broker.Push;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.Functions.Push;

/// <summary>Google Calendar push: the receiver Google posts to, and the timer that keeps a live watch channel per connection.</summary>
public sealed class PushFunctions(CalendarNotifications notifications, CalendarPushChannels channels)
{
    [Function("CalendarNotification")]
    public Task<IActionResult> CalendarNotification(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = CalendarPushChannels.Route)] HttpRequest request, CancellationToken cancellationToken) =>
        notifications.ReceiveAsync(request, cancellationToken);

    /// <summary>Schedule from the app setting <c>RenewPushChannelsSchedule</c> (default <c>0 */10 * * * *</c>).</summary>
    [Function("RenewPushChannels")]
    public Task RenewPushChannels([TimerTrigger("%" + PushOptions.RenewScheduleSetting + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        channels.RenewAsync(cancellationToken);
}
