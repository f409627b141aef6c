// The control plane speaks of servers and load balancers as its state records them; the provider's and the
// drivers' types of the same names are referred to by alias where needed.
global using LoadBalancerState = Strata.Planning.LoadBalancerState;
global using ServerState = Strata.Planning.ServerState;
