/*
 * fields.c - the known flow-log fields (versions 2 to 8) and AWS LogFormat
 * strings.  Header names use hyphens; column names replace them with
 * underscores, as AWS's own Parquet delivery does.
 */
#include "../common/internal.h"

#define I32 VF_T_INT32
#define I64 VF_T_INT64
#define STR VF_T_STRING
#define ADR VF_T_ADDR

static const vf_known_field KNOWN[] = {
    /* v2: the default format, in its order */
    {"version", "version", I32, 2},
    {"account-id", "account_id", STR, 2},
    {"interface-id", "interface_id", STR, 2},
    {"srcaddr", "srcaddr", ADR, 2},
    {"dstaddr", "dstaddr", ADR, 2},
    {"srcport", "srcport", I32, 2},
    {"dstport", "dstport", I32, 2},
    {"protocol", "protocol", I32, 2},
    {"packets", "packets", I64, 2},
    {"bytes", "bytes", I64, 2},
    {"start", "start", I64, 2},
    {"end", "end", I64, 2},
    {"action", "action", STR, 2},
    {"log-status", "log_status", STR, 2},
    /* v3 */
    {"vpc-id", "vpc_id", STR, 3},
    {"subnet-id", "subnet_id", STR, 3},
    {"instance-id", "instance_id", STR, 3},
    {"tcp-flags", "tcp_flags", I32, 3},
    {"type", "type", STR, 3},
    {"pkt-srcaddr", "pkt_srcaddr", ADR, 3},
    {"pkt-dstaddr", "pkt_dstaddr", ADR, 3},
    /* v4 */
    {"region", "region", STR, 4},
    {"az-id", "az_id", STR, 4},
    {"sublocation-type", "sublocation_type", STR, 4},
    {"sublocation-id", "sublocation_id", STR, 4},
    /* v5 */
    {"pkt-src-aws-service", "pkt_src_aws_service", STR, 5},
    {"pkt-dst-aws-service", "pkt_dst_aws_service", STR, 5},
    {"flow-direction", "flow_direction", STR, 5},
    {"traffic-path", "traffic_path", I32, 5},
    /* v6: transit gateway flow logs */
    {"resource-type", "resource_type", STR, 6},
    {"tgw-id", "tgw_id", STR, 6},
    {"tgw-attachment-id", "tgw_attachment_id", STR, 6},
    {"tgw-src-vpc-account-id", "tgw_src_vpc_account_id", STR, 6},
    {"tgw-dst-vpc-account-id", "tgw_dst_vpc_account_id", STR, 6},
    {"tgw-src-vpc-id", "tgw_src_vpc_id", STR, 6},
    {"tgw-dst-vpc-id", "tgw_dst_vpc_id", STR, 6},
    {"tgw-src-subnet-id", "tgw_src_subnet_id", STR, 6},
    {"tgw-dst-subnet-id", "tgw_dst_subnet_id", STR, 6},
    {"tgw-src-eni", "tgw_src_eni", STR, 6},
    {"tgw-dst-eni", "tgw_dst_eni", STR, 6},
    {"tgw-src-az-id", "tgw_src_az_id", STR, 6},
    {"tgw-dst-az-id", "tgw_dst_az_id", STR, 6},
    {"tgw-pair-attachment-id", "tgw_pair_attachment_id", STR, 6},
    {"packets-lost-no-route", "packets_lost_no_route", I64, 6},
    {"packets-lost-blackhole", "packets_lost_blackhole", I64, 6},
    {"packets-lost-mtu-exceeded", "packets_lost_mtu_exceeded", I64, 6},
    {"packets-lost-ttl-expired", "packets_lost_ttl_expired", I64, 6},
    /* v7: ECS */
    {"ecs-cluster-arn", "ecs_cluster_arn", STR, 7},
    {"ecs-cluster-name", "ecs_cluster_name", STR, 7},
    {"ecs-container-instance-arn", "ecs_container_instance_arn", STR, 7},
    {"ecs-container-instance-id", "ecs_container_instance_id", STR, 7},
    {"ecs-container-id", "ecs_container_id", STR, 7},
    {"ecs-second-container-id", "ecs_second_container_id", STR, 7},
    {"ecs-service-name", "ecs_service_name", STR, 7},
    {"ecs-task-definition-arn", "ecs_task_definition_arn", STR, 7},
    {"ecs-task-arn", "ecs_task_arn", STR, 7},
    {"ecs-task-id", "ecs_task_id", STR, 7},
    /* v8 */
    {"reject-reason", "reject_reason", STR, 8},
};

#undef I32
#undef I64
#undef STR
#undef ADR

const vf_known_field *vf_known_fields(size_t *n) {
    *n = sizeof KNOWN / sizeof KNOWN[0];
    return KNOWN;
}

/* Compare a name that may use '-' or '_' with a header name. */
static bool name_eq(const char *hdr, const char *s, size_t n) {
    size_t i = 0;
    for (; i < n; i++) {
        char a = hdr[i], b = s[i];
        if (!a) return false;
        if (b == '_') b = '-';
        if (a != b) return false;
    }
    return hdr[i] == 0;
}

int vf_known_field_index(const char *name, size_t len) {
    size_t n = sizeof KNOWN / sizeof KNOWN[0];
    for (size_t i = 0; i < n; i++)
        if (name_eq(KNOWN[i].header, name, len)) return (int)i;
    return -1;
}

vf_status vf_parse_log_format(const char *fmt, char *buf, const char **names, size_t max,
                              size_t *n, vf_error *err) {
    size_t k = 0, o = 0, i = 0, len = strlen(fmt);
    *n = 0;
    while (i < len) {
        if (fmt[i] == ' ' || fmt[i] == '\t') {
            i++;
            continue;
        }
        if (fmt[i] != '$' || i + 1 >= len || fmt[i + 1] != '{')
            return vf_fail(err, VF_EARG,
                           "log format: expected '${field}' at position %zu of \"%s\"", i, fmt);
        size_t s = i + 2, e = s;
        while (e < len && fmt[e] != '}') e++;
        if (e >= len) return vf_fail(err, VF_EARG, "log format: unclosed '${' at position %zu of \"%s\"", i, fmt);
        if (e == s) return vf_fail(err, VF_EARG, "log format: empty field name at position %zu of \"%s\"", i, fmt);
        for (size_t j = s; j < e; j++) {
            char c = fmt[j];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                return vf_fail(err, VF_EARG, "log format: invalid character '%c' in field name at position %zu of \"%s\"",
                               c, j, fmt);
        }
        if (k == max) return vf_fail(err, VF_EARG, "log format: more than %zu fields", max);
        names[k++] = buf + o;
        memcpy(buf + o, fmt + s, e - s);
        o += e - s;
        buf[o++] = 0;
        i = e + 1;
    }
    if (k == 0) return vf_fail(err, VF_EARG, "log format: no fields in \"%s\"", fmt);
    *n = k;
    return VF_OK;
}
