// End-to-end tests start real servers on the local provider's loopback addresses; they run one at a time so two
// control planes never hand out the same address.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
