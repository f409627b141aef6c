using System.Globalization;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>Reads the CSV of <c>show stat</c> into <see cref="LoadBalancerStats"/>.</summary>
internal static class HaProxyStats
{
    public static LoadBalancerStats Parse(string id, string csv, DateTimeOffset timestamp, IReadOnlyList<HaProxyMemberDocument> members)
    {
        var rows = Rows(csv);
        var servers = rows.Where(r => r["pxname"] == HaProxyConfig.Backend && r["svname"] is not ("BACKEND" or "FRONTEND")).ToList();
        var frontend5xx = rows.Where(r => r["pxname"] == id && r["svname"] == "FRONTEND").Sum(r => Long(r, "hrsp_5xx"));
        var backend5xx = rows.Where(r => r["svname"] == "BACKEND").Sum(r => Long(r, "hrsp_5xx"));
        return new LoadBalancerStats
        {
            Id = id,
            Timestamp = timestamp,
            NoMemberResponses = Math.Max(0, frontend5xx - backend5xx),
            OpenConnections = (int)rows.Where(r => r["pxname"] == id && r["svname"] == "FRONTEND").Sum(r => Long(r, "scur")),
            Members = [.. servers.Select(r => Member(r, members))],
        };
    }

    /// <summary>Current sessions per server, to tell when a draining one is done.</summary>
    public static Dictionary<string, int> Sessions(string csv) =>
        Rows(csv).Where(r => r["pxname"] == HaProxyConfig.Backend && r["svname"] is not ("BACKEND" or "FRONTEND"))
            .ToDictionary(r => r["svname"], r => (int)Long(r, "scur"), StringComparer.Ordinal);

    private static MemberStats Member(Dictionary<string, string> row, IReadOnlyList<HaProxyMemberDocument> members)
    {
        var name = row["svname"];
        var status = row["status"];
        var state = members.FirstOrDefault(m => m.Name == name)?.State
            ?? (status.StartsWith("DRAIN", StringComparison.Ordinal) || status.StartsWith("MAINT", StringComparison.Ordinal) ? MemberState.Draining : MemberState.Active);
        return new MemberStats
        {
            Name = name,
            State = state,
            Ejected = status.StartsWith("DOWN", StringComparison.Ordinal),
            InFlight = (int)Long(row, "scur"),
            OpenConnections = (int)(Long(row, "used_conn_cur") + Long(row, "idle_conn_cur") + Long(row, "safe_conn_cur")),
            Requests = Long(row, "stot"),
            Errors = Long(row, "econ") + Long(row, "eresp") + Long(row, "hrsp_5xx"),
            Retried = Long(row, "wretr") + Long(row, "wredis"),
            LatencyP50 = TimeSpan.FromMilliseconds(Long(row, "ttime")),
            LatencyP99 = TimeSpan.FromMilliseconds(Long(row, "ttime_max")),
        };
    }

    private static List<Dictionary<string, string>> Rows(string csv)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"haproxy answered 'show stat' with: {csv}");
        }

        var header = lines[0][2..].Split(',');
        return [.. lines.Skip(1).Select(line => line.Split(','))
            .Select(cells => header.Zip(cells).Where(p => p.First.Length > 0).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))];
    }

    private static long Long(Dictionary<string, string> row, string column) =>
        row.TryGetValue(column, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
