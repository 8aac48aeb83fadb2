// SPDX-License-Identifier: BSD-3-Clause
/*
 * QinQ tagging for the upstream-qinq capture, done with tc BPF because the kernels we
 * record on may lack 8021q (no "ip link ... type vlan"). Both ends of the resolver's
 * upstream veth run these: egress pushes C-tag 200 (802.1Q) then S-tag 100 (802.1ad),
 * ingress pops both again, so the IP stacks see plain frames while every frame on the
 * wire, and so in the capture taken on that veth, carries real stacked tags.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define QINQ_OUTER_VID 100
#define QINQ_INNER_VID 200

SEC("tc/qinq_push")
int qinq_push(struct __sk_buff *skb)
{
	/* The first push lands in the skb's tag metadata; the second moves it into the
	 * frame and becomes the outer tag, giving S-tag 100 / C-tag 200 on the wire. */
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), QINQ_INNER_VID))
		return TC_ACT_SHOT;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), QINQ_OUTER_VID))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc/qinq_pop")
int qinq_pop(struct __sk_buff *skb)
{
	/* Only stacked frames are ours; anything else (none expected) passes untouched. */
	if (!skb->vlan_present)
		return TC_ACT_OK;
	if (bpf_skb_vlan_pop(skb))
		return TC_ACT_SHOT;
	if (skb->vlan_present && bpf_skb_vlan_pop(skb))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
