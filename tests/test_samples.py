"""Every sample flow-log file in /work/shared/samples, parsed to a table written out literally.

The expected tables below were written from the files by hand-checked rules
(header order -> canonical AWS column order, '-' -> None, ints as ints),
not from vpcflow's own output.
"""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import vpcflow

#: ../shared beside the repository (as in conftest.py); VPCFLOW_SHARED overrides.
SAMPLES = Path(os.environ.get("VPCFLOW_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "samples"

BOGUS = "flowlogs-reader-v5-alphabetical-with-bogus-line.log"

# The canonical column order (DESIGN.md: v2 default fields, then v3, v4, v5, v6, v7, v8).
CANONICAL = (
    "version account_id interface_id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log_status vpc_id subnet_id instance_id tcp_flags type pkt_srcaddr pkt_dstaddr region az_id "
    "sublocation_type sublocation_id pkt_src_aws_service pkt_dst_aws_service flow_direction traffic_path "
    "resource_type tgw_id tgw_attachment_id tgw_src_vpc_account_id tgw_dst_vpc_account_id tgw_src_vpc_id "
    "tgw_dst_vpc_id tgw_src_subnet_id tgw_dst_subnet_id tgw_src_eni tgw_dst_eni tgw_src_az_id tgw_dst_az_id "
    "tgw_pair_attachment_id packets_lost_no_route packets_lost_blackhole packets_lost_mtu_exceeded "
    "packets_lost_ttl_expired ecs_cluster_arn ecs_cluster_name ecs_container_instance_arn "
    "ecs_container_instance_id ecs_container_id ecs_second_container_id ecs_service_name "
    "ecs_task_definition_arn ecs_task_arn ecs_task_id reject_reason"
).split()

# fmt: off
EXPECTED = {
    'aws-docs-v2.log': dict(
        lines=8, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string')],
        rows=[
            (2, '123456789010', 'eni-1235b8ca123456789', '172.31.16.139', '172.31.16.21', 20641, 22, 6, 20, 4249, 1418530010, 1418530070, 'ACCEPT', 'OK'),
            (2, '123456789010', 'eni-1235b8ca123456789', '172.31.9.69', '172.31.9.12', 49761, 3389, 6, 20, 4249, 1418530010, 1418530070, 'REJECT', 'OK'),
            (2, '123456789010', 'eni-1235b8ca123456789', None, None, None, None, None, None, None, 1431280876, 1431280934, None, 'NODATA'),
            (2, '123456789010', 'eni-11111111aaaaaaaaa', None, None, None, None, None, None, None, 1431280876, 1431280934, None, 'SKIPDATA'),
            (2, '123456789010', 'eni-1235b8ca123456789', '203.0.113.12', '172.31.16.139', 0, 0, 1, 4, 336, 1432917027, 1432917142, 'ACCEPT', 'OK'),
            (2, '123456789010', 'eni-1235b8ca123456789', '172.31.16.139', '203.0.113.12', 0, 0, 1, 4, 336, 1432917094, 1432917142, 'REJECT', 'OK'),
            (2, '123456789010', 'eni-1235b8ca123456789', '2001:db8:1234:a100:8d6e:3477:df66:f105', '2001:db8:1234:a102:3304:8879:34cf:4071', 34892, 22, 6, 54, 8855, 1477913708, 1477913820, 'ACCEPT', 'OK'),
        ],
    ),
    'aws-docs-v3-tcp-flags.log': dict(
        lines=9, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string'), ('vpc_id', 'string'), ('subnet_id', 'string'), ('instance_id', 'string'), ('tcp_flags', 'int32'), ('type', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address')],
        rows=[
            (3, '123456789010', 'eni-1235b8ca123456789', '52.213.180.42', '10.0.0.62', 43416, 5001, 6, 8, 568, 1566848875, 1566848933, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 2, 'IPv4', '52.213.180.42', '10.0.0.62'),
            (3, '123456789010', 'eni-1235b8ca123456789', '10.0.0.62', '52.213.180.42', 5001, 43416, 6, 7, 376, 1566848875, 1566848933, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 18, 'IPv4', '10.0.0.62', '52.213.180.42'),
            (3, '123456789010', 'eni-1235b8ca123456789', '52.213.180.42', '10.0.0.62', 43418, 5001, 6, 70, 100701, 1566848875, 1566848933, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 2, 'IPv4', '52.213.180.42', '10.0.0.62'),
            (3, '123456789010', 'eni-1235b8ca123456789', '10.0.0.62', '52.213.180.42', 5001, 43418, 6, 12, 632, 1566848875, 1566848933, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 18, 'IPv4', '10.0.0.62', '52.213.180.42'),
            (3, '123456789010', 'eni-1235b8ca123456789', '10.0.0.62', '52.213.180.42', 5001, 43418, 6, 1219, 63388, 1566848933, 1566849113, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 1, 'IPv4', '10.0.0.62', '52.213.180.42'),
            (3, '123456789010', 'eni-1235b8ca123456789', '52.213.180.42', '10.0.0.62', 43418, 5001, 6, 15774, 23294588, 1566848933, 1566849113, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 1, 'IPv4', '52.213.180.42', '10.0.0.62'),
            (3, '123456789010', 'eni-1235b8ca123456789', '52.213.180.42', '10.0.0.62', 43638, 5001, 6, 17, 1260, 1566933133, 1566933193, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 3, 'IPv4', '52.213.180.42', '10.0.0.62'),
            (3, '123456789010', 'eni-1235b8ca123456789', '10.0.0.62', '52.213.180.42', 5001, 43638, 6, 14, 967, 1566933133, 1566933193, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 19, 'IPv4', '10.0.0.62', '52.213.180.42'),
        ],
    ),
    'aws-docs-v3-transit.log': dict(
        lines=5, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('action', 'string'), ('log_status', 'string'), ('vpc_id', 'string'), ('subnet_id', 'string'), ('instance_id', 'string'), ('tcp_flags', 'int32'), ('type', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address')],
        rows=[
            (3, '123456789010', 'eni-33333333333333333', '10.20.33.164', '10.40.2.236', 39812, 80, 6, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-22222222bbbbbbbbb', 'i-01234567890123456', 3, 'IPv4', '10.20.33.164', '10.40.2.236'),
            (3, '123456789010', 'eni-33333333333333333', '10.40.2.236', '10.20.33.164', 80, 39812, 6, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-22222222bbbbbbbbb', 'i-01234567890123456', 19, 'IPv4', '10.40.2.236', '10.20.33.164'),
            (3, '123456789010', 'eni-11111111111111111', '10.40.1.175', '10.40.2.236', 39812, 80, 6, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-11111111aaaaaaaaa', None, 3, 'IPv4', '10.20.33.164', '10.40.2.236'),
            (3, '123456789010', 'eni-22222222222222222', '10.40.2.236', '10.40.2.31', 80, 39812, 6, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-22222222bbbbbbbbb', None, 19, 'IPv4', '10.40.2.236', '10.20.33.164'),
        ],
    ),
    'aws-docs-v5.log': dict(
        lines=3, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string'), ('vpc_id', 'string'), ('subnet_id', 'string'), ('instance_id', 'string'), ('tcp_flags', 'int32'), ('type', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address'), ('region', 'string'), ('az_id', 'string'), ('sublocation_type', 'string'), ('sublocation_id', 'string'), ('pkt_src_aws_service', 'string'), ('pkt_dst_aws_service', 'string'), ('flow_direction', 'string'), ('traffic_path', 'int32')],
        rows=[
            (5, '123456789012', 'eni-1235b8ca123456789', '52.95.128.179', '10.0.0.71', 80, 34210, 6, 14, 15044, 1616729292, 1616729349, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-0c50d5961bcb2d47b', 19, 'IPv4', '52.95.128.179', '10.0.0.71', 'ap-southeast-2', 'apse2-az3', None, None, 'S3', None, 'ingress', None),
            (5, '123456789012', 'eni-1235b8ca123456789', '10.0.0.71', '52.95.128.179', 34210, 80, 6, 7, 471, 1616729292, 1616729349, 'ACCEPT', 'OK', 'vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-0c50d5961bcb2d47b', 3, 'IPv4', '10.0.0.71', '52.95.128.179', 'ap-southeast-2', 'apse2-az3', None, None, None, 'S3', 'egress', 8),
        ],
    ),
    'flowlogs-reader-v2.log': dict(
        lines=6, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string')],
        rows=[
            (2, '123456789010', 'eni-102010ab', '198.51.100.1', '192.0.2.1', 443, 49152, 6, 10, 840, 1439387263, 1439387264, 'ACCEPT', 'OK'),
            (2, '123456789010', 'eni-102010ab', '192.0.2.1', '198.51.100.1', 49152, 443, 6, 20, 1680, 1439387264, 1439387265, 'ACCEPT', 'OK'),
            (2, '123456789010', 'eni-102010cd', '192.0.2.1', '198.51.100.1', 49152, 443, 6, 20, 1680, 1439387263, 1439387266, 'REJECT', 'OK'),
            (2, '123456789010', 'eni-1a2b3c4d', None, None, None, None, None, None, None, 1431280876, 1431280934, None, 'NODATA'),
            (2, '123456789010', 'eni-4b118871', None, None, None, None, None, None, None, 1431280876, 1431280934, None, 'SKIPDATA'),
        ],
    ),
    'flowlogs-reader-v3-alphabetical.log': dict(
        lines=3, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('vpc_id', 'string'), ('subnet_id', 'string'), ('instance_id', 'string'), ('tcp_flags', 'int32'), ('type', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address')],
        rows=[
            (3, '000000000000', '172.18.160.68', '172.18.160.93', 443, 47460, 6, 10, 6392, 1568300367, 1568300425, 'vpc-0461a061', 'subnet-089e7569', 'i-06f9249b', 19, 'IPv4', '192.168.0.1', '172.18.160.93'),
            (3, '000000000000', '172.18.160.93', '172.18.160.68', 8088, 443, 6, 10, 1698, 1568300367, 1568300425, 'vpc-0461a061', 'subnet-089e7569', 'i-06f9249b', 3, 'IPv4', '172.18.160.9', '192.168.0.1'),
        ],
    ),
    'flowlogs-reader-v4-alphabetical.log': dict(
        lines=3, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('vpc_id', 'string'), ('subnet_id', 'string'), ('instance_id', 'string'), ('tcp_flags', 'int32'), ('type', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address'), ('region', 'string'), ('az_id', 'string'), ('sublocation_type', 'string'), ('sublocation_id', 'string')],
        rows=[
            (4, '000000000000', '172.18.160.68', '172.18.160.93', 443, 47460, 6, 10, 6392, 1568300367, 1568300425, 'vpc-0461a061', 'subnet-089e7569', 'i-06f9249b', 19, 'IPv4', '192.168.0.1', '172.18.160.93', 'us-east-1', 'use1-az4', 'wavelength', 'wlid04'),
            (4, '000000000000', '172.18.160.93', '172.18.160.68', 8088, 443, 6, 10, 1698, 1568300367, 1568300425, 'vpc-0461a061', 'subnet-089e7569', 'i-06f9249b', 3, 'IPv4', '172.18.160.9', '192.168.0.1', 'us-east-1', 'use1-az4', 'outpost', 'outpostid04'),
        ],
    ),
    'flowlogs-reader-v5-alphabetical-with-bogus-line.log': dict(
        lines=4, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string'), ('vpc_id', 'string'), ('subnet_id', 'string'), ('instance_id', 'string'), ('tcp_flags', 'int32'), ('type', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address'), ('region', 'string'), ('az_id', 'string'), ('sublocation_type', 'string'), ('sublocation_id', 'string'), ('pkt_src_aws_service', 'string'), ('pkt_dst_aws_service', 'string'), ('flow_direction', 'string'), ('traffic_path', 'int32')],
        rows=[
            (5, '999999999999', 'eni-00123456789abcdef', '198.51.100.7', '192.0.2.156', 443, 50318, 6, 15, 4895, 1614866493, 1614866511, 'ACCEPT', 'OK', 'vpc-04456ab739938ee3f', 'subnet-0123456789abcdef', 'i-00123456789abcdef', 19, 'IPv4', '198.51.100.6', '192.0.2.156', 'us-east-2', 'use2-az2', None, None, 'S3', None, 'ingress', None),
            (5, '999999999999', 'eni-00123456789abcdef', '192.0.2.156', '198.51.100.6', 50318, 443, 6, 16, 3015, 1614866493, 1614866511, 'ACCEPT', 'OK', 'vpc-04456ab739938ee3f', 'subnet-0123456789abcdef', 'i-00123456789abcdef', 7, 'IPv4', '192.0.2.156', '198.51.100.7', 'us-east-2', 'use2-az2', None, None, None, 'S3', 'egress', 7),
        ],
    ),
    'flowlogs-reader-v6-transit-gateway.log': dict(
        lines=2, header_lines=1,
        schema=[('resource_type', 'string'), ('tgw_id', 'string'), ('tgw_attachment_id', 'string'), ('tgw_src_vpc_account_id', 'string'), ('tgw_dst_vpc_account_id', 'string'), ('tgw_src_vpc_id', 'string'), ('tgw_dst_vpc_id', 'string'), ('tgw_src_subnet_id', 'string'), ('tgw_dst_subnet_id', 'string'), ('tgw_src_eni', 'string'), ('tgw_dst_eni', 'string'), ('tgw_src_az_id', 'string'), ('tgw_dst_az_id', 'string'), ('tgw_pair_attachment_id', 'string'), ('packets_lost_no_route', 'int64'), ('packets_lost_blackhole', 'int64'), ('packets_lost_mtu_exceeded', 'int64'), ('packets_lost_ttl_expired', 'int64')],
        rows=[
            ('TransitGateway', '00000000', '00000001', '00000002', '00000003', '00000004', '00000005', '00000006', '00000007', '00000008', '00000009', '00000010', '00000011', '00000012', 13, 14, 15, 16),
        ],
    ),
    'nat-gateway-one-connection.log': dict(
        lines=32, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address'), ('pkt_src_aws_service', 'string'), ('pkt_dst_aws_service', 'string')],
        rows=[
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 6, 737, 1754322586, 1754322617, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 12, 1468, 1754322576, 1754322607, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 11, 1244, 1754322605, 1754322636, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 11, 1062, 1754322636, 1754322667, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 22, 2995, 1754322695, 1754322726, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 15, 1817, 1754322696, 1754322727, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 44, 6115, 1754322755, 1754322786, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 120, 36058, 1754322756, 1754322787, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 15, 1808, 1754322816, 1754322846, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 54, 7195, 1754322815, 1754322846, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 102, 34949, 1754322966, 1754322997, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 84, 12627, 1754322965, 1754322996, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 113, 38733, 1754323026, 1754323057, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 39, 5567, 1754323025, 1754323056, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 61, 9454, 1754323085, 1754323116, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 15, 1755, 1754323086, 1754323117, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 5, 912, 1754323099, 1754323130, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 778, 119099, 1754323158, 1754323189, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 14, 2521, 1754322875, 1754322906, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 3, 195, 1754322905, 1754322936, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 17, 1767, 1754322906, 1754322937, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 672, 102861, 1754323189, 1754323220, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 5, 338, 1754323218, 1754323249, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 6, 375, 1754323249, 1754323280, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 2, 104, 1754323278, 1754323309, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 13, 5322, 1754322376, 1754322407, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 32, 5544, 1754322425, 1754322456, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 27, 3099, 1754322436, 1754322467, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 6, 650, 1754322485, 1754322516, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.3.11.57', 443, 44160, 6, 22, 2615, 1754322526, 1754322557, 'ACCEPT', 'OK', '142.250.185.91', '10.3.11.57', None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.11.57', '10.63.37.34', 44160, 443, 6, 17, 2987, 1754322545, 1754322576, 'ACCEPT', 'OK', '10.3.11.57', '142.250.185.91', None, None),
        ],
    ),
    'nat-gateway-services.log': dict(
        lines=7, header_lines=1,
        schema=[('version', 'int32'), ('account_id', 'string'), ('interface_id', 'string'), ('srcaddr', 'address'), ('dstaddr', 'address'), ('srcport', 'int32'), ('dstport', 'int32'), ('protocol', 'int32'), ('packets', 'int64'), ('bytes', 'int64'), ('start', 'int64'), ('end', 'int64'), ('action', 'string'), ('log_status', 'string'), ('pkt_srcaddr', 'address'), ('pkt_dstaddr', 'address'), ('pkt_src_aws_service', 'string'), ('pkt_dst_aws_service', 'string')],
        rows=[
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.3.6.187', '10.63.37.34', 43944, 443, 6, 4, 208, 1754321693, 1754321724, 'ACCEPT', 'OK', '10.3.6.187', '3.75.6.195', None, 'EC2'),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', None, None, None, None, None, None, None, 1754324989, 1754325020, None, 'NODATA', None, None, None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '10.60.155.242', 443, 54428, 6, 16, 6942, 1754321693, 1754321724, 'ACCEPT', 'OK', '3.78.206.74', '10.60.155.242', 'AMAZON', None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', None, None, None, None, None, None, None, 1754324989, 1754325020, None, 'SKIPDATA', None, None, None, None),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '10.63.37.34', '3.5.246.198', 54330, 443, 6, 46, 40672, 1754321693, 1754321724, 'ACCEPT', 'OK', '10.63.37.34', '3.5.246.198', None, 'S3'),
            (5, '123456789012', 'eni-0d6bdc1a4942cb767', '85.214.204.244', '10.63.37.34', 443, 58253, 6, 11, 4065, 1754321693, 1754321724, 'ACCEPT', 'OK', '85.214.204.244', '10.63.37.34', None, None),
        ],
    ),
}

# fmt: on


def expected_pydict(name: str) -> dict:
    e = EXPECTED[name]
    names = [n for n, _ in e["schema"]]
    for r in e["rows"]:
        assert len(r) == len(names)
    return {n: [r[i] for r in e["rows"]] for i, n in enumerate(names)}


def on_error_for(name: str) -> str:
    return "skip" if name == BOGUS else "raise"


def assert_table(t: vpcflow.Table, name: str) -> None:
    e = EXPECTED[name]
    assert t.column_names == [n for n, _ in e["schema"]]
    assert list(t.schema.items()) == e["schema"]
    assert dict(t.schema) == dict(e["schema"])
    assert t.num_rows == len(e["rows"]) == len(t)
    got = t.to_pydict()
    exp = expected_pydict(name)
    for col in exp:  # column by column, for a readable failure
        assert got[col] == exp[col], col
    assert got == exp


ALL_LOGS = sorted(p.name for p in SAMPLES.glob("*.log"))


def test_every_sample_has_an_expectation():
    assert ALL_LOGS == sorted(EXPECTED)


def test_canonical_order_matches_known_fields():
    assert [c for _, c, _, _ in vpcflow.KNOWN_FIELDS] == CANONICAL
    for n, _ in [kv for e in EXPECTED.values() for kv in e["schema"]]:
        assert n in CANONICAL
    # each expectation's columns are in canonical order
    for e in EXPECTED.values():
        idx = [CANONICAL.index(n) for n, _ in e["schema"]]
        assert idx == sorted(idx)


@pytest.mark.parametrize("name", ALL_LOGS)
def test_sample_table(name):
    path = SAMPLES / name
    t = vpcflow.read_logs(path, on_error=on_error_for(name))
    assert_table(t, name)
    r = t.report
    e = EXPECTED[name]
    assert r.files == 1
    assert r.rows == len(e["rows"])
    assert r.lines == e["lines"]
    assert r.header_lines == e["header_lines"]
    assert r.ms_fixed == 0
    assert r.bytes_in == path.stat().st_size
    assert r.bytes_text == path.stat().st_size
    if name != BOGUS:
        assert r.bad_lines == 0
        assert r.bad_records == []
    # rows + header + bad lines account for every line
    assert r.rows + r.header_lines + r.bad_lines == r.lines


@pytest.mark.parametrize("name", ALL_LOGS)
def test_sample_str_path_and_parse_text_agree(name):
    path = SAMPLES / name
    oe = on_error_for(name)
    a = vpcflow.read_logs(str(path), on_error=oe)
    b = vpcflow.parse_text(path.read_bytes(), on_error=oe, name=name)
    c = vpcflow.parse_text(path.read_text(), on_error=oe, name=name)
    assert_table(a, name)
    assert_table(b, name)
    assert_table(c, name)


@pytest.mark.parametrize("threads", [1, 3])
def test_sample_threads(threads):
    for name in ALL_LOGS:
        t = vpcflow.read_logs(SAMPLES / name, on_error=on_error_for(name), threads=threads)
        assert_table(t, name)


# -- the bogus line --------------------------------------------------------------


def test_bogus_line_raise():
    path = str(SAMPLES / BOGUS)
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(path)
    e = ei.value
    assert isinstance(e, ValueError)
    msg = str(e)
    assert path in msg
    assert ":4:" in msg
    assert "bogus line" in msg
    assert e.line == 4
    assert e.file == path
    assert e.field is None
    assert e.text == "bogus line"


def test_bogus_line_raise_default_equals_explicit():
    with pytest.raises(vpcflow.ParseError):
        vpcflow.read_logs(SAMPLES / BOGUS, on_error="raise")


def test_bogus_line_skip():
    path = str(SAMPLES / BOGUS)
    t = vpcflow.read_logs(path, on_error="skip")
    assert_table(t, BOGUS)
    r = t.report
    assert t.num_rows == 2
    assert r.rows == 2
    assert r.bad_lines == 1
    assert r.lines == 4
    assert r.header_lines == 1
    assert len(r.bad_records) == 1
    b = r.bad_records[0]
    assert isinstance(b, vpcflow.BadRecord)
    assert (b.file, b.line, b.field, b.text) == (path, 4, None, "bogus line")
    assert path in b.message and ":4:" in b.message


def test_bogus_line_skip_parse_text_name():
    t = vpcflow.parse_text((SAMPLES / BOGUS).read_bytes(), on_error="skip", name="mem.log")
    assert_table(t, BOGUS)
    b = t.report.bad_records[0]
    assert (b.file, b.line, b.field, b.text) == ("mem.log", 4, None, "bogus line")
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.parse_text((SAMPLES / BOGUS).read_bytes(), name="mem.log")
    assert ei.value.file == "mem.log" and ei.value.line == 4
    assert "mem.log:4:" in str(ei.value)


# -- all files at once -----------------------------------------------------------


def union_expectation(names: list[str], file_of: dict[str, str] | None = None):
    cols = {n for name in names for n, _ in EXPECTED[name]["schema"]}
    types = {n: t for name in names for n, t in EXPECTED[name]["schema"]}
    order = [c for c in CANONICAL if c in cols]
    out = {c: [] for c in order}
    for name in names:
        d = expected_pydict(name)
        k = len(EXPECTED[name]["rows"])
        for c in order:
            out[c].extend(d.get(c, [None] * k))
    return [(c, types[c]) for c in order], out


def copy_samples(dst: Path, names=None) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name in names or ALL_LOGS:
        shutil.copy(SAMPLES / name, dst / name)
    return dst


def test_all_samples_at_once_directory(tmp_path):
    d = copy_samples(tmp_path / "logs")
    schema, exp = union_expectation(ALL_LOGS)
    # a sanity check on the union itself, written out: 47 columns, 4 addresses
    assert len(schema) == 47
    assert [c for c, t in schema if t == "address"] == ["srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"]
    for threads in (1, 4, None):
        t = vpcflow.read_logs(d, on_error="skip", threads=threads)
        assert list(t.schema.items()) == schema
        got = t.to_pydict()
        for c in exp:
            assert got[c] == exp[c], c
        r = t.report
        assert r.files == len(ALL_LOGS) == 11
        assert r.rows == t.num_rows == sum(len(EXPECTED[n]["rows"]) for n in ALL_LOGS) == 70
        assert r.lines == sum(EXPECTED[n]["lines"] for n in ALL_LOGS) == 82
        assert r.header_lines == 11
        assert r.bad_lines == 1
        assert [(b.file, b.line, b.field, b.text) for b in r.bad_records] == [
            (str(d / BOGUS), 4, None, "bogus line")
        ]


def test_all_samples_at_once_raise_names_bogus_file(tmp_path):
    d = copy_samples(tmp_path / "logs")
    with pytest.raises(vpcflow.ParseError) as ei:
        vpcflow.read_logs(d)
    assert ei.value.file == str(d / BOGUS)
    assert ei.value.line == 4


def test_v6_and_v2_union_has_nulls(tmp_path):
    names = ["aws-docs-v2.log", "flowlogs-reader-v6-transit-gateway.log"]
    d = copy_samples(tmp_path / "two", names)
    t = vpcflow.read_logs(d)
    assert t.column_names[:14] == CANONICAL[:14]
    assert t.column_names[14:] == [
        "resource_type", "tgw_id", "tgw_attachment_id", "tgw_src_vpc_account_id", "tgw_dst_vpc_account_id",
        "tgw_src_vpc_id", "tgw_dst_vpc_id", "tgw_src_subnet_id", "tgw_dst_subnet_id", "tgw_src_eni",
        "tgw_dst_eni", "tgw_src_az_id", "tgw_dst_az_id", "tgw_pair_attachment_id", "packets_lost_no_route",
        "packets_lost_blackhole", "packets_lost_mtu_exceeded", "packets_lost_ttl_expired",
    ]
    rows = t.to_pylist()
    assert len(rows) == 8
    assert rows[7]["version"] is None and rows[7]["start"] is None
    assert rows[7]["tgw_id"] == "00000000" and rows[7]["packets_lost_ttl_expired"] == 16
    assert all(r["tgw_id"] is None and r["packets_lost_no_route"] is None for r in rows[:7])
    assert t["packets_lost_no_route"].mask.tolist() == [True] * 7 + [False]
    assert t.column("tgw_id").null_count == 7
    assert t.column("version").null_count == 1


def test_list_of_paths_keeps_given_order():
    a, b = "flowlogs-reader-v2.log", "aws-docs-v2.log"
    t = vpcflow.read_logs([SAMPLES / a, str(SAMPLES / b)])
    _, exp = union_expectation([a, b])
    assert t.to_pydict() == exp
    assert t.report.files == 2


def test_nested_directories_sorted_and_hidden_skipped(tmp_path):
    root = tmp_path / "root"
    copy_samples(root / "b", ["aws-docs-v2.log"])
    copy_samples(root / "a" / "z", ["flowlogs-reader-v2.log"])
    shutil.copy(SAMPLES / BOGUS, root / ".hidden.log")
    (root / ".dir").mkdir()
    shutil.copy(SAMPLES / BOGUS, root / ".dir" / "x.log")
    t = vpcflow.read_logs(root)  # would raise if a hidden file were read
    _, exp = union_expectation(["flowlogs-reader-v2.log", "aws-docs-v2.log"])
    assert t.to_pydict() == exp


# -- compressed copies -------------------------------------------------------------


def split_lines(data: bytes, parts: int) -> list[bytes]:
    lines = data.splitlines(keepends=True)
    k = max(1, -(-len(lines) // parts))
    return [b"".join(lines[i : i + k]) for i in range(0, len(lines), k)]


def zstd_compress(data: bytes) -> bytes:
    exe = shutil.which("zstd")
    if exe:
        return subprocess.run([exe, "-q", "-c", "-"], input=data, capture_output=True, check=True).stdout
    pa = pytest.importorskip("pyarrow")
    return pa.compress(data, codec="zstd", asbytes=True)


def variants(data: bytes) -> dict[str, bytes]:
    mid = len(data) // 2
    return {
        "single.gz": gzip.compress(data),
        "multi-lines.gz": b"".join(gzip.compress(p) for p in split_lines(data, 3)),
        "multi-midline.gz": gzip.compress(data[:mid]) + gzip.compress(data[mid:]),
        "byte-members.gz": b"".join(gzip.compress(data[i : i + 97]) for i in range(0, len(data), 97)),
        "misleading.txt": gzip.compress(data, compresslevel=1),
        "plain-named.log.gz": data,
        "zstd.zst": zstd_compress(data),
        "zstd-misleading.log": zstd_compress(data),
        "zstd-multi.zst": b"".join(zstd_compress(p) for p in split_lines(data, 2)),
    }


@pytest.mark.parametrize("name", ALL_LOGS)
def test_compressed_samples(tmp_path, name):
    data = (SAMPLES / name).read_bytes()
    for vname, blob in variants(data).items():
        p = tmp_path / f"{vname}-{name}"
        p.write_bytes(blob)
        if name == BOGUS:
            with pytest.raises(vpcflow.ParseError) as ei:
                vpcflow.read_logs(p)
            assert ei.value.line == 4 and ei.value.file == str(p), vname
        t = vpcflow.read_logs(p, on_error=on_error_for(name))
        assert_table(t, name)
        r = t.report
        assert r.bytes_in == len(blob), vname
        assert r.bytes_text == len(data), vname
        assert r.lines == EXPECTED[name]["lines"], vname
        assert r.rows == len(EXPECTED[name]["rows"]), vname
        if name == BOGUS:
            assert [(b.file, b.line, b.text) for b in r.bad_records] == [(str(p), 4, "bogus line")]
        # the same bytes in memory
        t2 = vpcflow.parse_text(blob, on_error=on_error_for(name))
        assert_table(t2, name)


def test_compressed_directory_mix(tmp_path):
    d = tmp_path / "mix"
    d.mkdir()
    for i, name in enumerate(ALL_LOGS):
        data = (SAMPLES / name).read_bytes()
        blob = [gzip.compress, zstd_compress, lambda x: x][i % 3](data)
        (d / name).write_bytes(blob)  # keep the .log names so the sorted order is unchanged
    schema, exp = union_expectation(ALL_LOGS)
    t = vpcflow.read_logs(d, on_error="skip", threads=4)
    assert list(t.schema.items()) == schema
    assert t.to_pydict() == exp
    assert t.report.bad_lines == 1
